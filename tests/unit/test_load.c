/*
 * test_load.c - loading COCO ground truth and results: pycocotools' loadRes
 * semantics, and every malformed input refused with a message that names the
 * file and the element.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "io/dataset.h"
#include "io/file_read.h"
#include "maskeval.h"
#include "test_main.h"

#define IMG "{\"id\":7,\"height\":4,\"width\":5}"
#define CATS "\"categories\":[{\"id\":1,\"name\":\"a\"}]"
#define GT_OK "{\"images\":[" IMG "]," CATS ",\"annotations\":[]}"

typedef struct bad_case {
    const char *name;
    const char *gt;   /* ground truth JSON */
    const char *dt;   /* NULL: the case is about the ground truth */
    unsigned flags;
    const char *want; /* substring of the message */
} bad_case;

#define ANN(fields) "{\"images\":[" IMG "]," CATS ",\"annotations\":[" fields "]}"
#define A0 "\"id\":3,\"image_id\":7,\"category_id\":1,\"iscrowd\":0,\"area\":4"

static const bad_case cases[] = {
    {"truncated json", "{\"images\":[", NULL, MASKEVAL_LOAD_SEGM, "gt.json: invalid JSON"},
    {"malformed json", "{\"images\":[}", NULL, MASKEVAL_LOAD_SEGM, "line 1, column 12"},
    {"empty file", "", NULL, MASKEVAL_LOAD_SEGM, "empty file"},
    {"trailing data", GT_OK " x", NULL, MASKEVAL_LOAD_SEGM, "extra data"},
    {"top level array", "[]", NULL, MASKEVAL_LOAD_SEGM, "expected a JSON object"},
    {"images missing", "{" CATS "}", NULL, MASKEVAL_LOAD_SEGM, "images: expected an array"},
    {"image without height", "{\"images\":[{\"id\":7,\"width\":5}]," CATS "}", NULL,
     MASKEVAL_LOAD_SEGM, "images[0] (id 7): missing height"},
    {"image width zero", "{\"images\":[{\"id\":7,\"height\":4,\"width\":0}]," CATS "}", NULL,
     MASKEVAL_LOAD_SEGM, "positive integers"},
    {"image string id", "{\"images\":[{\"id\":\"7\",\"height\":4,\"width\":5}]," CATS "}", NULL,
     MASKEVAL_LOAD_SEGM, "images[0]: id: expected an integer, got string"},
    {"image too large", "{\"images\":[{\"id\":7,\"height\":70000,\"width\":70000}]," CATS "}",
     NULL, MASKEVAL_LOAD_SEGM, "2^32-1"},
    {"ann missing iscrowd",
     ANN("{\"id\":3,\"image_id\":7,\"category_id\":1,\"area\":4,\"segmentation\":[[0,0,1,0,1,1]]}"),
     NULL, MASKEVAL_LOAD_SEGM, "annotations[0] (id 3): iscrowd"},
    {"ann area string", ANN("{\"id\":3,\"image_id\":7,\"category_id\":1,\"iscrowd\":0,\"area\":\"4\"}"),
     NULL, MASKEVAL_LOAD_SEGM, "area: expected a finite number, got string"},
    {"ann missing segmentation", ANN("{" A0 "}"), NULL, MASKEVAL_LOAD_SEGM,
     "annotations[0] (id 3): segmentation: missing"},
    {"ann bbox with nan-like string", ANN("{" A0 ",\"bbox\":[0,0,\"x\",1]}"), NULL,
     MASKEVAL_LOAD_BBOX, "annotations[0] (id 3): bbox"},
    {"ann bbox 3 numbers", ANN("{" A0 ",\"bbox\":[0,0,1]}"), NULL, MASKEVAL_LOAD_BBOX, "bbox"},
    {"polygon odd", ANN("{" A0 ",\"segmentation\":[[0,0,1,0,1,1,2]]}"), NULL, MASKEVAL_LOAD_SEGM,
     "segmentation[0]: odd number of coordinates (7)"},
    {"polygon 2 points", ANN("{" A0 ",\"segmentation\":[[0,0,1,0,1,1],[0,0,1,1]]}"), NULL,
     MASKEVAL_LOAD_SEGM, "segmentation[1]: polygon has 4 coordinates"},
    {"polygon empty list", ANN("{" A0 ",\"segmentation\":[]}"), NULL, MASKEVAL_LOAD_SEGM,
     "empty polygon list"},
    {"polygon string coordinate", ANN("{" A0 ",\"segmentation\":[[0,0,1,0,\"1\",1]]}"), NULL,
     MASKEVAL_LOAD_SEGM, "segmentation[0][4]"},
    {"polygon far away", ANN("{" A0 ",\"segmentation\":[[0,0,1e7,0,1,1]]}"), NULL,
     MASKEVAL_LOAD_SEGM, "beyond"},
    {"rle bad char", ANN("{" A0 ",\"segmentation\":{\"size\":[4,5],\"counts\":\"5x\"}}"), NULL,
     MASKEVAL_LOAD_SEGM, "segmentation.counts: invalid character 'x'"},
    {"rle wrong sum", ANN("{" A0 ",\"segmentation\":{\"size\":[4,5],\"counts\":[3,4]}}"), NULL,
     MASKEVAL_LOAD_SEGM, "add up to 7, not height*width = 20"},
    {"rle negative count", ANN("{" A0 ",\"segmentation\":{\"size\":[4,5],\"counts\":[25,-5]}}"),
     NULL, MASKEVAL_LOAD_SEGM, "segmentation.counts[1]"},
    {"rle negative delta", ANN("{" A0 ",\"segmentation\":{\"size\":[4,5],\"counts\":\"111M\"}}"),
     NULL, MASKEVAL_LOAD_SEGM, "negative count"},
    {"rle wrong size", ANN("{" A0 ",\"segmentation\":{\"size\":[5,4],\"counts\":\"d0\"}}"), NULL,
     MASKEVAL_LOAD_SEGM, "mask is 5x4 but its image is 4x5"},
    {"rle truncated", ANN("{" A0 ",\"segmentation\":{\"size\":[4,5],\"counts\":\"5P\"}}"), NULL,
     MASKEVAL_LOAD_SEGM, "truncated value"},
    /* results */
    {"results not an array", GT_OK, "{}", MASKEVAL_LOAD_SEGM, "dt.json: expected a JSON array"},
    {"result unknown image", GT_OK,
     "[{\"image_id\":8,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1}]", MASKEVAL_LOAD_SEGM,
     "dt.json: result 0: image_id 8 is not an image of the ground truth"},
    {"result nan-ish score", GT_OK,
     "[{\"image_id\":7,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":\"high\"}]",
     MASKEVAL_LOAD_SEGM, "result 0: score: expected a finite number, got string"},
    {"result huge score", GT_OK,
     "[{\"image_id\":7,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1e999}]",
     MASKEVAL_LOAD_SEGM, "result 0: score: expected a finite number"},
    {"result missing bbox later", GT_OK,
     "[{\"image_id\":7,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1},"
     "{\"image_id\":7,\"category_id\":1,\"score\":1,\"segmentation\":{\"size\":[4,5],"
     "\"counts\":\"d0\"}}]",
     MASKEVAL_LOAD_SEGM, "result 1: bbox"},
    {"result box non-finite", GT_OK,
     "[{\"image_id\":7,\"category_id\":1,\"bbox\":[0,0,1,-1e999],\"score\":1}]",
     MASKEVAL_LOAD_BBOX, "result 0: bbox"},
    {"result neither", GT_OK, "[{\"image_id\":7,\"category_id\":1,\"score\":1}]",
     MASKEVAL_LOAD_SEGM, "neither"},
    {"segm result polygon", GT_OK,
     "[{\"image_id\":7,\"category_id\":1,\"score\":1,\"segmentation\":[[0,0,1,0,1,1]]}]",
     MASKEVAL_LOAD_SEGM, "polygons are not accepted in mask results"},
    {"segm result uncompressed", GT_OK,
     "[{\"image_id\":7,\"category_id\":1,\"score\":1,\"segmentation\":{\"size\":[4,5],"
     "\"counts\":[20]}}]",
     MASKEVAL_LOAD_SEGM, "uncompressed RLE"},
    {"segm result bad char", GT_OK,
     "[{\"image_id\":7,\"category_id\":1,\"score\":1,\"segmentation\":{\"size\":[4,5],"
     "\"counts\":\"d0\"}},{\"image_id\":7,\"category_id\":1,\"score\":1,\"segmentation\":"
     "{\"size\":[4,5],\"counts\":\"d 0\"}}]",
     MASKEVAL_LOAD_SEGM, "dt.json: result 1: segmentation.counts: invalid character ' ' (0x20)"},
    {"segm result wrong size (bbox mode too)", GT_OK,
     "[{\"image_id\":7,\"category_id\":1,\"score\":1,\"segmentation\":{\"size\":[2,10],"
     "\"counts\":\"d0\"}}]",
     MASKEVAL_LOAD_BBOX, "mask is 2x10 but its image is 4x5"},
    {"result string image id", GT_OK,
     "[{\"image_id\":\"7\",\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1}]",
     MASKEVAL_LOAD_SEGM, "result 0: image_id: expected an integer, got string"},
    {"result not an object", GT_OK, "[5]", MASKEVAL_LOAD_SEGM, "result 0: expected an object"},
};

START_TEST(test_file_read_chunked)
{
    /* files of 16 MB and more are read in 8 MB chunks on all threads: the
     * bytes must be the file's, NUL-terminated, for every size around the
     * chunk boundaries */
    static const size_t sizes[] = {16u << 20, (16u << 20) + 1, (24u << 20) - 1, 25u << 20};
    char path[] = "/tmp/maskeval_readXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        const size_t n = sizes[k];
        char *want = malloc(n), *got = NULL;
        size_t len = 0;
        unsigned seed = (unsigned)k + 1;
        FILE *f = fopen(path, "wb");
        maskeval_options o;
        maskeval_ctx *ctx = NULL;
        for (size_t i = 0; i < n; i++) {
            want[i] = (char)(rand_r(&seed) & 0xff);
        }
        ck_assert_uint_eq(fwrite(want, 1, n, f), n);
        fclose(f);
        for (int threads = 1; threads <= 4; threads += 3) {
            maskeval_options_init(&o);
            o.threads = threads;
            ck_assert_int_eq(maskeval_ctx_create(&o, &ctx), MASKEVAL_OK);
            ck_assert_int_eq(maskeval_file_read(ctx, path, &got, &len), MASKEVAL_OK);
            ck_assert_uint_eq(len, n);
            ck_assert_int_eq(memcmp(got, want, n), 0);
            ck_assert_int_eq(got[n], 0);
            free(got);
            maskeval_ctx_destroy(ctx);
        }
        free(want);
    }
    remove(path);
}
END_TEST

START_TEST(test_bad_inputs)
{
    const bad_case *c = &cases[_i];
    maskeval_ctx *ctx = NULL;
    maskeval_gt *gt = NULL;
    maskeval_dets *dt = NULL;
    maskeval_status st;
    ck_assert_int_eq(maskeval_ctx_create(NULL, &ctx), MASKEVAL_OK);
    st = maskeval_gt_load_buffer(ctx, "gt.json", c->gt, strlen(c->gt), c->flags, &gt);
    if (c->dt == NULL) {
        ck_assert_msg(st != MASKEVAL_OK, "%s: accepted", c->name);
        ck_assert_ptr_null(gt);
    } else {
        ck_assert_msg(st == MASKEVAL_OK, "%s: gt refused: %s", c->name, maskeval_errmsg(ctx));
        st = maskeval_dets_load_buffer(ctx, gt, "dt.json", c->dt, strlen(c->dt), &dt);
        ck_assert_msg(st != MASKEVAL_OK, "%s: accepted", c->name);
        ck_assert_ptr_null(dt);
    }
    ck_assert_msg(st == MASKEVAL_ERR_PARSE || st == MASKEVAL_ERR_LIMIT, "%s: status %d", c->name,
                  (int)st);
    ck_assert_msg(strstr(maskeval_errmsg(ctx), c->want) != NULL, "%s: message '%s' lacks '%s'",
                  c->name, maskeval_errmsg(ctx), c->want);
    ck_assert_msg(strncmp(maskeval_errmsg(ctx), c->dt == NULL ? "gt.json: " : "dt.json: ", 9) == 0,
                  "%s: message does not name the file: %s", c->name, maskeval_errmsg(ctx));
    maskeval_gt_destroy(gt);
    maskeval_ctx_destroy(ctx);
}
END_TEST

/* Good inputs: pycocotools' loadRes and COCO() semantics. */
static maskeval_gt *load_gt(maskeval_ctx *ctx, const char *json, unsigned flags)
{
    maskeval_gt *gt = NULL;
    ck_assert_msg(maskeval_gt_load_buffer(ctx, "gt.json", json, strlen(json), flags, &gt) ==
                      MASKEVAL_OK,
                  "%s", maskeval_errmsg(ctx));
    return gt;
}

START_TEST(test_loadres_branches)
{
    maskeval_ctx *ctx = NULL;
    maskeval_gt *gt;
    maskeval_dets *dt = NULL;
    /* bbox branch: area = w*h even for segm, missing segmentation = box polygon */
    const char *box_first = "[{\"image_id\":7,\"category_id\":1,\"bbox\":[1,1,2,2],\"score\":1},"
                            "{\"image_id\":7,\"category_id\":1,\"bbox\":[0,0,3,1],\"score\":1,"
                            "\"segmentation\":{\"size\":[4,5],\"counts\":\"d0\"}}]";
    /* segm branch: area from the mask, box from toBbox unless given */
    const char *segm_first = "[{\"image_id\":7,\"category_id\":1,\"score\":1,\"segmentation\":"
                             "{\"size\":[4,5],\"counts\":\"06>\"}},{\"image_id\":7,"
                             "\"category_id\":1,\"score\":1,\"bbox\":[9,9,9,9],\"segmentation\":"
                             "{\"size\":[4,5],\"counts\":\"d0\"}}]";
    ck_assert_int_eq(maskeval_ctx_create(NULL, &ctx), MASKEVAL_OK);
    gt = load_gt(ctx, GT_OK, MASKEVAL_LOAD_SEGM);
    ck_assert_int_eq(maskeval_dets_load_buffer(ctx, gt, "dt", box_first, strlen(box_first), &dt),
                     MASKEVAL_OK);
    ck_assert(dt->bbox_branch);
    ck_assert(dt->area[0] == 4 && dt->area[1] == 3);
    ck_assert_uint_eq(dt->masks.area[0], 4); /* the 2x2 box rasterized */
    ck_assert_uint_eq(dt->masks.area[1], 0); /* its own (empty) mask is kept */
    maskeval_dets_destroy(dt);
    ck_assert_int_eq(maskeval_dets_load_buffer(ctx, gt, "dt", segm_first, strlen(segm_first), &dt),
                     MASKEVAL_OK);
    ck_assert(!dt->bbox_branch);
    ck_assert(dt->area[0] == 6 && dt->area[1] == 0);
    ck_assert(dt->bbox[0] == 0 && dt->bbox[1] == 0 && dt->bbox[2] == 2 && dt->bbox[3] == 4);
    ck_assert(dt->bbox[4] == 9 && dt->bbox[7] == 9);
    maskeval_dets_destroy(dt);
    maskeval_gt_destroy(gt);
    maskeval_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_python_semantics)
{
    maskeval_ctx *ctx = NULL;
    maskeval_gt *gt;
    /* duplicate image ids: the last wins; repeated keys: the last wins;
     * ids as integral floats; "ignore" is not read; orphan annotations kept
     * without rasterizing (their polygon would be invalid here) */
    const char *json =
        "{\"images\":[{\"id\":7,\"height\":1,\"width\":1},{\"id\":7.0,\"height\":4,\"width\":5}],"
        "\"categories\":[{\"id\":1,\"name\":\"x\",\"name\":\"a\"}],\"annotations\":["
        "{\"id\":3,\"image_id\":7,\"category_id\":1,\"iscrowd\":true,\"ignore\":0,\"area\":4,"
        "\"segmentation\":{\"size\":[4,5],\"counts\":[20]}},"
        "{\"id\":3,\"image_id\":99,\"category_id\":1,\"iscrowd\":0,\"area\":4,"
        "\"segmentation\":[[0,0]]}]}";
    ck_assert_int_eq(maskeval_ctx_create(NULL, &ctx), MASKEVAL_OK);
    gt = load_gt(ctx, json, MASKEVAL_LOAD_SEGM);
    ck_assert_uint_eq(gt->n_img, 1);
    ck_assert_uint_eq(gt->img_h[0], 4);
    ck_assert_str_eq(maskeval_gt_category_name(gt, 1), "a");
    ck_assert_uint_eq(gt->n_ann, 2);
    ck_assert_int_eq(gt->ann_crowd[0], 1);
    ck_assert_int_eq(gt->ann_img[1], -1);
    ck_assert_int_eq(gt->ann_alias[0], 1); /* id 3 resolves to the last annotation */
    ck_assert_uint_eq(gt->n_dup_ids, 1);
    maskeval_gt_destroy(gt);

    /* keys are compared decoded, as json.load sees them: an escaped
     * "annotation\u0073" repeats (and replaces) "annotations", and
     * "category_id\u0000x" is another key, not "category_id" */
    gt = load_gt(ctx,
                 "{\"images\":[{\"id\":1,\"height\":4,\"width\":5}],"
                 "\"categories\":[{\"id\":1},{\"id\":2}],\"annotations\":[{\"id\":1,"
                 "\"image_id\":1,\"category_id\":1,\"category_id\\u0000x\":2,\"area\":1,"
                 "\"bbox\":[0,0,1,1],\"iscrowd\":0,\"segmentation\":[[0,0,1,0,1,1]]}]}",
                 MASKEVAL_LOAD_BBOX);
    ck_assert_uint_eq(gt->n_ann, 1);
    ck_assert_int_eq(gt->ann_cat_id[0], 1);
    maskeval_gt_destroy(gt);
    gt = load_gt(ctx,
                 "{\"images\":[{\"id\":1,\"height\":4,\"width\":5}],\"categories\":[{\"id\":1}],"
                 "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"area\":1,"
                 "\"bbox\":[0,0,1,1],\"iscrowd\":0,\"segmentation\":[[0,0,1,0,1,1]]}],"
                 "\"annotation\\u0073\":[]}",
                 MASKEVAL_LOAD_BBOX);
    ck_assert_uint_eq(gt->n_ann, 0);
    maskeval_gt_destroy(gt);
    maskeval_ctx_destroy(ctx);
}
END_TEST

static Suite *load_suite(void)
{
    Suite *s = suite_create("load");
    TCase *tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_bad_inputs, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    suite_add_tcase(s, tc);
    tc = tcase_create("core");
    tcase_add_test(tc, test_loadres_branches);
    tcase_add_test(tc, test_file_read_chunked);
    tcase_add_test(tc, test_python_semantics);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(load_suite)
