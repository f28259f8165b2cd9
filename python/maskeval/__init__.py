"""maskeval: COCO evaluation bit-identical to pycocotools, over a C library.

    from maskeval import COCO, COCOeval, mask   # pycocotools' names
    maskeval.init_as_pycocotools()              # or: make `import pycocotools...` resolve here
"""
import sys
import types

from . import cityscapes, mask, panoptic  # noqa: F401
from ._lib import MaskevalError, version as _version
from .coco import COCO
from .cocoeval import COCOeval, Params
from .evaluators import InstanceEvaluator, SemanticEvaluator

__version__ = _version()
__all__ = ["COCO", "COCOeval", "Params", "mask", "panoptic", "MaskevalError",
           "InstanceEvaluator", "SemanticEvaluator", "cityscapes", "init_as_pycocotools"]

_NAMES = ("pycocotools", "pycocotools.coco", "pycocotools.cocoeval", "pycocotools.mask")


def init_as_pycocotools():
    """Makes `import pycocotools.coco / .cocoeval / .mask` (and `from pycocotools import
    mask`) resolve to maskeval's modules, for code that imports them afterwards
    (detectron2's COCOEvaluator, MMDetection's CocoMetric, torchmetrics'
    backend="pycocotools"). Call it before those modules are imported. Returns a
    function that restores the previous modules."""
    from . import coco as _coco, cocoeval as _cocoeval
    saved = {n: sys.modules.get(n) for n in _NAMES}
    pkg = types.ModuleType("pycocotools")
    pkg.__path__ = []
    pkg.__maskeval__ = True
    pkg.coco, pkg.cocoeval, pkg.mask = _coco, _cocoeval, mask
    sys.modules.update({"pycocotools": pkg, "pycocotools.coco": _coco,
                        "pycocotools.cocoeval": _cocoeval, "pycocotools.mask": mask})

    def restore():
        for n, m in saved.items():
            if m is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = m
    return restore
