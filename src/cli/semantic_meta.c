/*
 * semantic_meta.c - the tag of a semantic run: CLI_SEM_META_PREFIX and a
 * JSON object {"params": {...}, "names": [...]} ("names" only when the run
 * has class names). semantic_report.c reads it back.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "semantic_meta.h"

/* null, "cityscapes", or {"path": FILE, "digest": hex of its bytes}. */
static cJSON *file_ref(const char *spec, const char *builtin, int have_digest, uint64_t digest)
{
    cJSON *o;
    char hex[24];
    if (spec == NULL) {
        return cJSON_CreateNull();
    }
    if (builtin != NULL && strcmp(spec, builtin) == 0) {
        return cJSON_CreateString(spec);
    }
    if (!have_digest) {
        void *buf = NULL;
        size_t len = 0;
        if (cli_read_file(spec, &buf, &len) != 0) {
            return NULL;
        }
        digest = maskeval_digest(buf, len);
        free(buf);
    }
    snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)digest);
    o = cJSON_CreateObject();
    if (o != NULL) {
        cJSON_AddStringToObject(o, "path", spec);
        cJSON_AddStringToObject(o, "digest", hex);
    }
    return o;
}

char *cli_sem_meta_encode(const cli_sem_run_info *info)
{
    const sem_opts *o = info->o;
    cJSON *root = cJSON_CreateObject(), *p = cJSON_CreateObject(), *v;
    char *json = NULL, *tag = NULL;
    int ok = root != NULL && p != NULL;
    if (ok) {
        cJSON_AddItemToObject(root, "params", p);
        cJSON_AddNumberToObject(p, "num_classes", (double)o->k);
        if (o->ignore < 0) {
            cJSON_AddNullToObject(p, "ignore_index");
        } else {
            cJSON_AddNumberToObject(p, "ignore_index", (double)o->ignore);
        }
        cJSON_AddBoolToObject(p, "reduce_zero_label", o->reduce_zero != 0);
        ok = (v = file_ref(o->map, "cityscapes", 0, 0)) != NULL;
        if (ok) {
            cJSON_AddItemToObject(p, "label_map", v);
            ok = (v = file_ref(o->pred_map, "cityscapes", 0, 0)) != NULL;
        }
        if (ok) {
            cJSON_AddItemToObject(p, "pred_label_map", v);
            v = info->names->n == 0 ? cJSON_CreateNull()
                : info->names->builtin
                    ? cJSON_CreateString(info->names->source)
                    : file_ref(info->names->source, NULL, 1, info->names->digest);
            ok = v != NULL;
        }
        if (ok) {
            cJSON_AddItemToObject(p, "class_names", v);
            cJSON_AddStringToObject(p, "gt", o->gt);
            cJSON_AddStringToObject(p, "pred", o->pred);
            cJSON_AddStringToObject(p, "gt_suffix", o->gt_suffix != NULL ? o->gt_suffix : "");
            cJSON_AddStringToObject(p, "pred_suffix",
                                    o->pred_suffix != NULL ? o->pred_suffix : "");
            cJSON_AddStringToObject(p, "pairing", info->pairing);
            if (info->names->n > 0) {
                cJSON *a = cJSON_AddArrayToObject(root, "names");
                for (uint32_t i = 0; a != NULL && i < info->names->n; i++) {
                    cJSON_AddItemToArray(a, cJSON_CreateString(info->names->names[i]));
                }
                ok = a != NULL && (uint32_t)cJSON_GetArraySize(a) == info->names->n;
            }
        }
    }
    if (ok && (json = cJSON_PrintUnformatted(root)) != NULL &&
        (tag = malloc(strlen(CLI_SEM_META_PREFIX) + strlen(json) + 1)) != NULL) {
        strcpy(tag, CLI_SEM_META_PREFIX);
        strcat(tag, json);
    } else if (ok) {
        fprintf(stderr, "maskeval: out of memory\n");
    }
    if (!ok && p != NULL && root == NULL) {
        cJSON_Delete(p);
    }
    cJSON_free(json);
    cJSON_Delete(root);
    return tag;
}
