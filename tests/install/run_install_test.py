#!/usr/bin/env python3
"""install_consumer: installs the build tree into a scratch prefix and builds
tests/install/consumer.c against it the three ways README "Using the library"
gives, then runs each program.

  1. the installed tree: the header (identical to include/maskeval.h),
     libmaskeval.a, libmaskeval.so -> .so.SOVERSION -> .so.VERSION with that
     SONAME and exactly the MASKEVAL_API functions exported, the tools,
     maskeval.pc naming the prefix, the CMake package files;
  2. `cc consumer.c $(pkg-config --cflags --libs maskeval)`: NEEDED names
     libmaskeval.so.SOVERSION and it loads the installed one;
  3. `pkg-config --static` with libmaskeval.a: no libmaskeval in NEEDED; and
     linked with --whole-archive, so that every object of the archive must
     find its dependencies in Requires.private/Libs.private (the same link
     without them must fail, or the check proves nothing);
  4. find_package(maskeval CONFIG REQUIRED) with CMAKE_PREFIX_PATH=prefix:
     maskeval::maskeval is the shared library, maskeval::maskeval_static and
     -DMASKEVAL_USE_STATIC_LIBS=ON the static one.

Standard library only. Exits 1 on the first failure, saying what.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys


def fail(msg):
    print(f"install_consumer: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd, env=None, expect_ok=True):
    print("+ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if expect_ok and p.returncode != 0:
        print(p.stdout)
        fail(f"exit status {p.returncode}: {cmd[0]}")
    return p


def needed(path):
    out = run(["readelf", "-d", path]).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def soname(path):
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]",
                  run(["readelf", "-d", path]).stdout)
    return m.group(1) if m else None


def api_names(header):
    """The functions declared MASKEVAL_API in the public header."""
    text = open(header).read()
    names = set(re.findall(r"^MASKEVAL_API\b[^;(]*?\b([A-Za-z_]\w*)\s*\(", text, re.M))
    if len(names) < 20:
        fail(f"found only {len(names)} MASKEVAL_API declarations in {header}")
    return names


def run_consumer(exe, env, libdir_loaded=None):
    p = run([exe], env=env, expect_ok=False)
    print(p.stdout, end="")
    if p.returncode != 0 or "consumer: ok" not in p.stdout:
        fail(f"{exe} exited {p.returncode}")
    if libdir_loaded is not None:
        out = run(["ldd", exe], env=env).stdout
        m = re.search(r"^\s*(libmaskeval\.so\S*) => (\S+)", out, re.M)
        if not m or os.path.realpath(os.path.dirname(m.group(2))) != \
                os.path.realpath(libdir_loaded):
            print(out)
            fail(f"{exe} does not load libmaskeval from {libdir_loaded}")


def check_tree(a, prefix, libdir, so_version, so_full):
    want = [
        "include/maskeval.h",
        f"{libdir}/libmaskeval.a",
        f"{libdir}/libmaskeval.so",
        f"{libdir}/libmaskeval.so.{so_version}",
        f"{libdir}/libmaskeval.so.{so_full}",
        "bin/maskeval",
        f"{libdir}/pkgconfig/maskeval.pc",
        f"{libdir}/cmake/maskeval/maskevalConfig.cmake",
        f"{libdir}/cmake/maskeval/maskevalConfigVersion.cmake",
        f"{libdir}/cmake/maskeval/maskevalTargets.cmake",
    ]
    if a.mpi:
        want.append("bin/maskeval-mpi")
    for rel in want:
        if not os.path.lexists(os.path.join(prefix, rel)):
            fail(f"not installed: {rel}")
    cmake_dir = os.path.join(prefix, libdir, "cmake/maskeval")
    if not any(f.startswith("maskevalTargets-") for f in os.listdir(cmake_dir)):
        fail("not installed: maskevalTargets-<config>.cmake")
    if not a.mpi and os.path.lexists(os.path.join(prefix, "bin/maskeval-mpi")):
        fail("maskeval-mpi installed though this build has none")
    with open(a.header, "rb") as f1, open(os.path.join(prefix, "include/maskeval.h"), "rb") as f2:
        if f1.read() != f2.read():
            fail("the installed maskeval.h differs from include/maskeval.h")

    lib = os.path.join(prefix, libdir)
    for link, target in (("libmaskeval.so", f"libmaskeval.so.{so_version}"),
                         (f"libmaskeval.so.{so_version}", f"libmaskeval.so.{so_full}")):
        path = os.path.join(lib, link)
        if not os.path.islink(path) or os.readlink(path) != target:
            fail(f"{link} is not a link to {target}")
    real = os.path.join(lib, f"libmaskeval.so.{so_full}")
    if soname(real) != f"libmaskeval.so.{so_version}":
        fail(f"SONAME of libmaskeval.so is {soname(real)}, expected libmaskeval.so.{so_version}")

    # exactly the public functions are exported (hidden visibility for the rest)
    out = run(["nm", "-D", "--defined-only", real]).stdout
    exported = {line.split()[-1] for line in out.splitlines() if line.strip()}
    exported = {s.split("@")[0] for s in exported}
    api = api_names(a.header)
    if exported != api:
        extra = sorted(exported - api)
        missing = sorted(api - exported)
        fail(f"libmaskeval.so exports {len(exported)} symbols, the header declares "
             f"{len(api)}; not in the header: {extra[:20]}; not exported: {missing[:20]}")
    print(f"libmaskeval.so exports the {len(api)} MASKEVAL_API functions and nothing else")

    p = run([os.path.join(prefix, "bin/maskeval"), "--version"])
    if p.stdout.splitlines()[:1] != [f"maskeval {a.version}"]:
        fail(f"installed maskeval --version says {p.stdout.strip()!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmake", required=True)
    ap.add_argument("--build", required=True, help="the maskeval build tree to install")
    ap.add_argument("--config", default="")
    ap.add_argument("--generator", default="")
    ap.add_argument("--work", required=True)
    ap.add_argument("--source", required=True, help="tests/install")
    ap.add_argument("--header", required=True, help="include/maskeval.h")
    ap.add_argument("--cc", required=True)
    ap.add_argument("--cflags", default="", help="extra flags (sanitizers) for every build")
    ap.add_argument("--pkg-config", required=True)
    ap.add_argument("--libdir", default="lib", help="CMAKE_INSTALL_LIBDIR")
    ap.add_argument("--version", required=True)
    ap.add_argument("--soversion", required=True)
    ap.add_argument("--mpi", action="store_true", help="maskeval-mpi must be installed")
    a = ap.parse_args()

    if os.path.isabs(a.libdir):
        fail(f"CMAKE_INSTALL_LIBDIR is absolute ({a.libdir}): --prefix cannot move it")
    work = os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    prefix = os.path.join(work, "prefix")
    lib = os.path.join(prefix, a.libdir)
    cflags = shlex.split(a.cflags)
    src = os.path.join(a.source, "consumer.c")

    cmd = [a.cmake, "--install", a.build, "--prefix", prefix]
    if a.config:
        cmd += ["--config", a.config]
    run(cmd)
    check_tree(a, prefix, a.libdir, a.soversion, a.version)

    # ---- pkg-config --------------------------------------------------------
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = os.pathsep.join(
        [os.path.join(lib, "pkgconfig")] + [p for p in [os.environ.get("PKG_CONFIG_PATH")] if p])
    env.pop("LD_LIBRARY_PATH", None)
    pc = [a.pkg_config]

    def pkg(*args):
        return run(pc + list(args), env=env).stdout.strip()

    if pkg("--variable=prefix", "maskeval") != prefix:
        fail("maskeval.pc does not name the install prefix (another maskeval.pc found first?)")
    if pkg("--modversion", "maskeval") != a.version:
        fail(f"pkg-config --modversion maskeval is not {a.version}")
    cf = shlex.split(pkg("--cflags", "maskeval"))
    if "-I" + os.path.join(prefix, "include") not in cf:
        fail(f"pkg-config --cflags maskeval lacks -I{prefix}/include: {cf}")

    # shared: found through LD_LIBRARY_PATH
    exe = os.path.join(work, "consumer_pc")
    run([a.cc] + cflags + [src, "-o", exe] + shlex.split(pkg("--cflags", "--libs", "maskeval")))
    if f"libmaskeval.so.{a.soversion}" not in needed(exe):
        fail(f"{exe}: NEEDED {needed(exe)} lacks libmaskeval.so.{a.soversion}")
    run_env = dict(env, LD_LIBRARY_PATH=lib)
    run_consumer(exe, run_env, libdir_loaded=lib)

    # static: libmaskeval.a named instead of -lmaskeval (which picks the .so)
    static_libs = shlex.split(pkg("--static", "--cflags", "--libs", "maskeval"))
    if static_libs.count("-lmaskeval") != 1:
        fail(f"pkg-config --static --libs maskeval: {static_libs}")
    archive = "-l:libmaskeval.a"
    deps = [f for f in static_libs if f != "-lmaskeval"]
    if "-lm" not in deps:
        fail(f"pkg-config --static --libs maskeval lacks -lm: {static_libs}")
    exe = os.path.join(work, "consumer_pc_static")
    run([a.cc] + cflags + [src, "-o", exe] +
        [archive if f == "-lmaskeval" else f for f in static_libs])
    if any(n.startswith("libmaskeval") for n in needed(exe)):
        fail(f"{exe} links libmaskeval dynamically: {needed(exe)}")
    run_consumer(exe, env)
    # every object of the archive, with what the .pc says it needs ...
    whole = ["-Wl,--whole-archive", archive, "-Wl,--no-whole-archive"]
    exe = os.path.join(work, "consumer_pc_whole")
    run([a.cc] + cflags + [src, "-o", exe] +
        [w for f in static_libs for w in (whole if f == "-lmaskeval" else [f])])
    run_consumer(exe, env)
    # ... and without it the same link fails (so the line above checks something)
    p = run([a.cc] + cflags + [src, "-o", exe + "_nodeps", "-I" + os.path.join(prefix, "include"),
                               "-L" + lib] + whole, expect_ok=False)
    if p.returncode == 0:
        fail("libmaskeval.a linked with --whole-archive and none of its dependencies")

    # ---- find_package(maskeval) -------------------------------------------
    def cmake_consumer(name, *extra):
        bdir = os.path.join(work, name)
        cmd = [a.cmake, "-S", a.source, "-B", bdir, f"-DCMAKE_PREFIX_PATH={prefix}",
               f"-DCMAKE_C_COMPILER={a.cc}", f"-DCMAKE_C_FLAGS={a.cflags}",
               "-DCMAKE_BUILD_TYPE=Release", f"-DMASKEVAL_EXPECT_VERSION={a.version}"]
        if a.generator:
            cmd += ["-G", a.generator]
        run(cmd + list(extra), env=env)
        cache = open(os.path.join(bdir, "CMakeCache.txt")).read()
        m = re.search(r"^maskeval_DIR:PATH=(.*)$", cache, re.M)
        if not m or os.path.realpath(m.group(1)) != \
                os.path.realpath(os.path.join(lib, "cmake/maskeval")):
            fail(f"find_package(maskeval) found {m.group(1) if m else 'nothing'}, "
                 "not the scratch prefix")
        run([a.cmake, "--build", bdir, "--config", "Release"], env=env)
        return bdir

    def exe_in(bdir, name):
        for cand in (os.path.join(bdir, name), os.path.join(bdir, "Release", name)):
            if os.path.exists(cand):
                return cand
        fail(f"no {name} in {bdir}")

    bdir = cmake_consumer("cmake_default")
    exe = exe_in(bdir, "consumer")
    if f"libmaskeval.so.{a.soversion}" not in needed(exe):
        fail(f"maskeval::maskeval is not the shared library: NEEDED {needed(exe)}")
    run_consumer(exe, env, libdir_loaded=lib)  # through the build RPATH
    exe = exe_in(bdir, "consumer_static")
    if any(n.startswith("libmaskeval") for n in needed(exe)):
        fail(f"maskeval::maskeval_static links libmaskeval dynamically: {needed(exe)}")
    run_consumer(exe, env)

    bdir = cmake_consumer("cmake_use_static", "-DMASKEVAL_USE_STATIC_LIBS=ON")
    exe = exe_in(bdir, "consumer")
    if any(n.startswith("libmaskeval") for n in needed(exe)):
        fail(f"MASKEVAL_USE_STATIC_LIBS=ON: maskeval::maskeval is not libmaskeval.a: "
             f"NEEDED {needed(exe)}")
    run_consumer(exe, env)

    print("install_consumer: ok")


if __name__ == "__main__":
    main()
