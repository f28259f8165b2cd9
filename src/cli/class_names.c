/*
 * class_names.c - `maskeval semantic --class-names`: the built-in name
 * tables (Cityscapes trainIds, ADE20K / SceneParse150, Pascal VOC) and name
 * files (one name per line, or a JSON array of strings).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "class_names.h"

/* Cityscapes' 19 evaluated classes in trainId order (cityscapesScripts labels.py). */
static const char *const cityscapes_names[] = {
    "road",   "sidewalk", "building", "wall",  "fence", "pole",       "traffic light",
    "traffic sign", "vegetation", "terrain", "sky", "person", "rider", "car", "truck",
    "bus",    "train",    "motorcycle", "bicycle"};

/* ADE20K's 150 classes as mmsegmentation's ADE20KDataset spells them
 * (mmseg/datasets/ade.py; "bed " keeps its trailing space). */
static const char *const ade20k_names[] = {
    "wall", "building", "sky", "floor", "tree", "ceiling", "road", "bed ", "windowpane",
    "grass", "cabinet", "sidewalk", "person", "earth", "door", "table", "mountain", "plant",
    "curtain", "chair", "car", "water", "painting", "sofa", "shelf", "house", "sea", "mirror",
    "rug", "field", "armchair", "seat", "fence", "desk", "rock", "wardrobe", "lamp", "bathtub",
    "railing", "cushion", "base", "box", "column", "signboard", "chest of drawers", "counter",
    "sand", "sink", "skyscraper", "fireplace", "refrigerator", "grandstand", "path", "stairs",
    "runway", "case", "pool table", "pillow", "screen door", "stairway", "river", "bridge",
    "bookcase", "blind", "coffee table", "toilet", "flower", "book", "hill", "bench",
    "countertop", "stove", "palm", "kitchen island", "computer", "swivel chair", "boat", "bar",
    "arcade machine", "hovel", "bus", "towel", "light", "truck", "tower", "chandelier",
    "awning", "streetlight", "booth", "television receiver", "airplane", "dirt track",
    "apparel", "pole", "land", "bannister", "escalator", "ottoman", "bottle", "buffet",
    "poster", "stage", "van", "ship", "fountain", "conveyer belt", "canopy", "washer",
    "plaything", "swimming pool", "stool", "barrel", "basket", "waterfall", "tent", "bag",
    "minibike", "cradle", "oven", "ball", "food", "step", "tank", "trade name", "microwave",
    "pot", "animal", "bicycle", "lake", "dishwasher", "screen", "blanket", "sculpture", "hood",
    "sconce", "vase", "traffic light", "tray", "ashcan", "fan", "pier", "crt screen", "plate",
    "monitor", "bulletin board", "shower", "radiator", "glass", "clock", "flag",
};

/* Pascal VOC 2012's 21 classes (mmsegmentation's PascalVOCDataset). */
static const char *const voc_names[] = {
    "background", "aeroplane", "bicycle",     "bird",  "boat",      "bottle", "bus",
    "car",        "cat",       "chair",       "cow",   "diningtable", "dog",  "horse",
    "motorbike",  "person",    "pottedplant", "sheep", "sofa",      "train",  "tvmonitor"};

static const struct {
    const char *key;
    const char *const *names;
    uint32_t n;
} builtin[] = {
    {"cityscapes", cityscapes_names, sizeof(cityscapes_names) / sizeof(cityscapes_names[0])},
    {"ade20k", ade20k_names, sizeof(ade20k_names) / sizeof(ade20k_names[0])},
    {"voc", voc_names, sizeof(voc_names) / sizeof(voc_names[0])},
};

const char *const *cli_builtin_class_names(const char *key, uint32_t *n)
{
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
        if (strcmp(key, builtin[i].key) == 0) {
            *n = builtin[i].n;
            return builtin[i].names;
        }
    }
    *n = 0;
    return NULL;
}

void cli_class_names_free(cli_class_names *c)
{
    for (uint32_t i = 0; c->names != NULL && i < c->n; i++) {
        free(c->names[i]);
    }
    free(c->names);
    free(c->source);
    memset(c, 0, sizeof(*c));
}

/* Length of the well-formed UTF-8 sequence at p (Unicode table 3-7), 0 if none. */
static size_t utf8_len(const unsigned char *p)
{
    const unsigned c = p[0];
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    }
    if (c >= 0xe0 && c <= 0xef) {
        const unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        const unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4
                                                                                          : 0;
    }
    return 0;
}

/* NULL if s is a usable name, else why not. */
static const char *bad_name(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    if (*p == '\0') {
        return "an empty name";
    }
    while (*p) {
        size_t n = utf8_len(p);
        if (n == 0) {
            return "not UTF-8";
        }
        if (*p < 0x20 || *p == 0x7f) {
            return "a control character in the name";
        }
        p += n;
    }
    return NULL;
}

static int add_name(cli_class_names *c, const char *s, size_t len)
{
    char **v = realloc(c->names, (c->n + 1) * sizeof(char *));
    if (v == NULL) {
        return -1;
    }
    c->names = v;
    if ((c->names[c->n] = malloc(len + 1)) == NULL) {
        return -1;
    }
    memcpy(c->names[c->n], s, len);
    c->names[c->n][len] = '\0';
    c->n++;
    return 0;
}

int cli_class_names_load(const char *spec, uint32_t k, cli_class_names *out, char *err,
                         size_t err_cap)
{
    uint32_t nb = 0;
    const char *const *b = cli_builtin_class_names(spec, &nb);
    void *buf = NULL;
    size_t len = 0;
    memset(out, 0, sizeof(*out));
    if (b != NULL) {
        if (nb != k) {
            snprintf(err, err_cap, "--class-names %s has %u names, but --num-classes is %u", spec,
                     nb, k);
            return -1;
        }
        for (uint32_t i = 0; i < nb; i++) {
            if (add_name(out, b[i], strlen(b[i])) != 0) {
                goto nomem;
            }
        }
        out->builtin = 1;
        if ((out->source = strdup(spec)) == NULL) {
            goto nomem;
        }
        return 0;
    }
    if (cli_read_file(spec, &buf, &len) != 0) {
        snprintf(err, err_cap, "--class-names: cannot read %s (not one of cityscapes, ade20k, "
                               "voc)", spec);
        return -1;
    }
    out->digest = maskeval_digest(buf, len);
    if (memchr(buf, '\0', len) != NULL) {
        snprintf(err, err_cap, "%s: a NUL byte in the class names", spec);
        goto fail;
    }
    {
        const char *t = buf;
        size_t i = 0;
        while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n')) {
            i++;
        }
        if (i < len && t[i] == '[') {
            /* a JSON array of strings */
            const char *end = NULL;
            cJSON *root = cJSON_ParseWithLengthOpts(t, len, &end, 0);
            const cJSON *it;
            uint32_t idx = 0;
            while (root != NULL && end != NULL && end < t + len &&
                   (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')) {
                end++;
            }
            if (root == NULL || !cJSON_IsArray(root) || end != t + len) {
                const long at = end != NULL && end >= t ? (long)(end - t) : 0;
                snprintf(err, err_cap, "%s: invalid JSON at byte %ld", spec, at);
                cJSON_Delete(root);
                goto fail;
            }
            cJSON_ArrayForEach(it, root)
            {
                const char *why = cJSON_IsString(it) ? bad_name(it->valuestring) : "not a string";
                if (why != NULL) {
                    snprintf(err, err_cap, "%s: element %u: %s", spec, idx, why);
                    cJSON_Delete(root);
                    goto fail;
                }
                if (idx >= k) {
                    snprintf(err, err_cap, "%s: element %u: more names than --num-classes %u",
                             spec, idx, k);
                    cJSON_Delete(root);
                    goto fail;
                }
                if (add_name(out, it->valuestring, strlen(it->valuestring)) != 0) {
                    cJSON_Delete(root);
                    goto nomem;
                }
                idx++;
            }
            cJSON_Delete(root);
            if (out->n != k) {
                snprintf(err, err_cap, "%s: %u names, but --num-classes is %u", spec, out->n, k);
                goto fail;
            }
        } else {
            /* one name per line; a final newline is optional, CRLF accepted */
            size_t at = 0, line = 0;
            while (at < len) {
                const char *nl = memchr(t + at, '\n', len - at);
                size_t e = nl != NULL ? (size_t)(nl - t) : len, n = e - at;
                const char *why;
                char *name;
                line++;
                if (n > 0 && t[at + n - 1] == '\r') {
                    n--;
                }
                if (line > k) {
                    snprintf(err, err_cap, "%s: line %zu: more names than --num-classes %u",
                             spec, line, k);
                    goto fail;
                }
                if (add_name(out, t + at, n) != 0) {
                    goto nomem;
                }
                name = out->names[out->n - 1];
                if ((why = bad_name(name)) != NULL) {
                    snprintf(err, err_cap, "%s: line %zu: %s", spec, line, why);
                    goto fail;
                }
                at = e + 1;
            }
            if (out->n != k) {
                snprintf(err, err_cap, "%s: %u names (line %zu is the last), but --num-classes is %u",
                         spec, out->n, line, k);
                goto fail;
            }
        }
    }
    free(buf);
    out->source = strdup(spec);
    if (out->source == NULL) {
        cli_class_names_free(out);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    return 0;
nomem:
    snprintf(err, err_cap, "out of memory");
fail:
    free(buf);
    cli_class_names_free(out);
    return -1;
}
