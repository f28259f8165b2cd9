/*
 * pq_image.c - one image of pq_compute: the prediction's checks, the 0.5
 * matching, false negatives and false positives, as panopticapi's
 * pq_compute_single_core does them (README "Panoptic quality"), plus
 * boundary-iou-api's boundary maps for Boundary PQ.
 */
#include "panoptic/panoptic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "io/png_labels.h"
#include "raster/band.h"

void maskeval_pq_record_free(const maskeval_alloc *a, pq_record *r)
{
    maskeval_free(a, r->tp);
    maskeval_free(a, r->fp);
    maskeval_free(a, r->fn);
    memset(r, 0, sizeof(*r));
}

void maskeval_pq_worker_free(const maskeval_alloc *a, pq_worker *w)
{
    maskeval_pq_scratch_free(a, &w->mask);
    maskeval_pq_scratch_free(a, &w->band);
    maskeval_free(a, w->bmap_g);
    maskeval_free(a, w->bmap_p);
    maskeval_free(a, w->run);
    maskeval_free(a, w->band_g);
    maskeval_free(a, w->band_p);
    maskeval_png_rows_free(a, &w->gr);
    maskeval_png_rows_free(a, &w->pr);
    memset(w, 0, sizeof(*w));
}

/* Segments of one side sorted by id, for lookups by pixel id (ids are
 * unique within an image, checked at load). */
typedef struct seg_key {
    uint64_t id;
    uint32_t idx;
} seg_key;

typedef struct seg_index {
    seg_key *k;
    size_t n;
} seg_index;

static int cmp_key(const void *x, const void *y)
{
    const seg_key *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

static maskeval_status index_build(const maskeval_alloc *a, const pq_seg *s, size_t n,
                                   seg_index *out)
{
    out->k = maskeval_malloc(a, (n + 1) * sizeof(seg_key));
    out->n = n;
    if (out->k == NULL) {
        return MASKEVAL_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        out->k[i].id = (uint64_t)s[i].id; /* negative ids wrap far beyond 2^24: never found */
        out->k[i].idx = (uint32_t)i;
    }
    qsort(out->k, n, sizeof(seg_key), cmp_key);
    return MASKEVAL_OK;
}

static long seg_find(const seg_index *x, uint64_t id)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (x->k[mid].id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < x->n && x->k[lo].id == id ? (long)x->k[lo].idx : -1;
}

typedef struct cand {
    uint32_t g, p; /* segment indices */
    double iou;
} cand;

/* Boundary maps (boundary-iou-api): each listed segment keeps its id on its
 * band and gets BOUNDARY_ID inside; other pixels (VOID, unlisted ids) keep
 * their id. band_area[k]: band pixels of listed segment k. */
static void boundary_map(const uint32_t *ids, size_t npix, const uint8_t *band,
                         const seg_index *segs, size_t n, uint32_t boundary_id, uint32_t *out,
                         uint64_t *band_area)
{
    size_t i = 0;
    for (size_t k = 0; k < n; k++) {
        band_area[k] = 0;
    }
    while (i < npix) {
        /* one run of an id at a time: its lookup once, the pixels branch-free */
        const uint32_t id = ids[i];
        const long k = seg_find(segs, id);
        size_t e = i + 1;
        while (e < npix && ids[e] == id) {
            e++;
        }
        if (k < 0) {
            for (size_t j = i; j < e; j++) {
                out[j] = id;
            }
        } else {
            uint64_t nb = 0;
            for (size_t j = i; j < e; j++) {
                const uint32_t keep = 0u - (uint32_t)band[j];
                out[j] = (id & keep) | (boundary_id & ~keep);
                nb += band[j];
            }
            band_area[k] += nb;
        }
        i = e;
    }
}

/*
 * The same, literally as boundary-iou-api builds it when a listed segment's
 * id equals BOUNDARY_ID: segments in segments_info order on one map that
 * changes as it goes, each mask read from the current map (so the interiors
 * that earlier segments gave BOUNDARY_ID join that segment's mask). O(pixels)
 * per segment; only this collision needs it. tmp: npix uint32, band: npix.
 */
static void boundary_map_literal(const uint32_t *ids, uint32_t h, uint32_t w, uint32_t d,
                                 const pq_seg *segs, size_t n, uint32_t boundary_id, uint32_t *out,
                                 uint32_t *tmp, uint32_t *run, uint8_t *band, uint64_t *band_area)
{
    const size_t npix = (size_t)h * w;
    memcpy(out, ids, npix * sizeof(uint32_t));
    for (size_t k = 0; k < n; k++) {
        const uint64_t id = (uint64_t)segs[k].id;
        band_area[k] = 0;
        for (size_t i = 0; i < npix; i++) {
            tmp[i] = out[i] == id;
        }
        maskeval_band_labels(tmp, h, w, d, run, band);
        for (size_t i = 0; i < npix; i++) {
            if (tmp[i]) {
                if (band[i]) {
                    out[i] = (uint32_t)id;
                    band_area[k]++;
                } else {
                    out[i] = boundary_id;
                }
            }
        }
    }
}

static maskeval_status grow_buf(const maskeval_alloc *a, pq_worker *w, size_t npix, uint32_t wd)
{
    if (w->bcap >= npix && w->run != NULL) {
        return MASKEVAL_OK;
    }
    maskeval_free(a, w->bmap_g);
    maskeval_free(a, w->bmap_p);
    maskeval_free(a, w->band_g);
    maskeval_free(a, w->band_p);
    maskeval_free(a, w->run);
    w->bmap_g = maskeval_malloc(a, npix * sizeof(uint32_t));
    w->bmap_p = maskeval_malloc(a, npix * sizeof(uint32_t));
    w->band_g = maskeval_malloc(a, npix);
    w->band_p = maskeval_malloc(a, npix);
    w->run = maskeval_malloc(a, (npix > wd ? npix : wd) * sizeof(uint32_t));
    w->bcap = npix;
    if (w->bmap_g == NULL || w->bmap_p == NULL || w->band_g == NULL || w->band_p == NULL ||
        w->run == NULL) {
        w->bcap = 0;
        return MASKEVAL_ERR_NOMEM;
    }
    return MASKEVAL_OK;
}

/* pq_read from the point where the gt file is in memory (gfile, decoded or
 * not) and the pred file maybe (pfile NULL: read it), in its order: gt
 * decoded, pred read, pred decoded, sizes compared. */
/* gr, pr: the gt / pred file opened row by row and not read yet (its ids
 * then come from it, the stream inflated once), or NULL */
static maskeval_status read_rest(const maskeval_alloc *a, const pq_img *im,
                                 const pq_image_opts *o, const char *gfile, size_t glen,
                                 maskeval_png_rows *gr, const char *pfile, size_t plen,
                                 maskeval_png_rows *pr, maskeval_id_img *gimg,
                                 maskeval_id_img *pimg, char *err, size_t errcap)
{
    char *own = NULL;
    maskeval_status st =
        gr != NULL ? maskeval_png_rows_ids(a, im->gt_path, gr, gimg, err, errcap)
                   : maskeval_png_decode_ids(a, im->gt_path, o->max_image_pixels, gfile, glen,
                                             gimg, err, errcap);
    if (st == MASKEVAL_OK && pfile == NULL) {
        st = maskeval_png_slurp(a, im->pred_path, &own, &plen, err, errcap);
        pfile = own;
    }
    if (st == MASKEVAL_OK) {
        st = pr != NULL ? maskeval_png_rows_ids(a, im->pred_path, pr, pimg, err, errcap)
                        : maskeval_png_decode_ids(a, im->pred_path, o->max_image_pixels, pfile,
                                                  plen, pimg, err, errcap);
    }
    maskeval_free(a, own);
    if (st == MASKEVAL_OK && (gimg->w != pimg->w || gimg->h != pimg->h)) {
        snprintf(err, errcap, "%s: the prediction is %ux%u but its ground truth %s is %ux%u",
                 im->pred_path, pimg->w, pimg->h, im->gt_path, gimg->w, gimg->h);
        st = MASKEVAL_ERR_PARSE;
    }
    if (st != MASKEVAL_OK) {
        maskeval_id_img_free(a, gimg);
        maskeval_id_img_free(a, pimg);
    }
    return st;
}

maskeval_status maskeval_pq_read(const maskeval_alloc *a, const pq_data *d, size_t i,
                                 const pq_image_opts *o, maskeval_id_img *gimg,
                                 maskeval_id_img *pimg, char *err, size_t errcap)
{
    const pq_img *im = &d->imgs[i];
    char *gfile = NULL;
    size_t glen = 0;
    maskeval_status st;
    memset(gimg, 0, sizeof(*gimg));
    memset(pimg, 0, sizeof(*pimg));
    st = maskeval_png_slurp(a, im->gt_path, &gfile, &glen, err, errcap);
    if (st == MASKEVAL_OK) {
        st = read_rest(a, im, o, gfile, glen, NULL, NULL, 0, NULL, gimg, pimg, err, errcap);
    }
    maskeval_free(a, gfile);
    return st;
}

static int cmp_u32(const void *x, const void *y)
{
    const uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* The ids of n segments that a PNG can hold, and VOID, sorted, distinct. */
static uint32_t id_table(const pq_seg *s, size_t n, uint32_t *out)
{
    uint32_t k = 0, m = 0;
    out[k++] = MASKEVAL_PQ_VOID;
    for (size_t j = 0; j < n; j++) {
        if (s[j].id >= 0 && s[j].id < (1 << 24)) {
            out[k++] = (uint32_t)s[j].id;
        }
    }
    qsort(out, k, sizeof(uint32_t), cmp_u32);
    for (uint32_t j = 0; j < k; j++) {
        if (m == 0 || out[m - 1] != out[j]) {
            out[m++] = out[j];
        }
    }
    return m;
}

void maskeval_pq_id_tables(const pq_data *d, size_t i, uint32_t *gids, uint32_t *ng,
                           uint32_t *pids, uint32_t *np)
{
    const pq_img *im = &d->imgs[i];
    *ng = id_table(d->segs + im->gt_off, im->n_gt, gids);
    *np = id_table(d->segs + im->pr_off, im->n_pr, pids);
}

/* maskeval_pq_eval; counted != NULL: w->mask holds the joint histogram
 * already, of counted[0] pairs and counted[1] pred ids (gi and pi give the
 * size only). */
static maskeval_status eval_image(const maskeval_alloc *a, const pq_data *d, size_t i,
                                  const pq_image_opts *o, pq_worker *w,
                                  const maskeval_id_img *gi, const maskeval_id_img *pi,
                                  const maskeval_seg_maps *dense, const size_t *counted,
                                  pq_record *rec, char *err, size_t errcap)
{
    const pq_img *im = &d->imgs[i];
    const pq_seg *gs = d->segs + im->gt_off, *ps = d->segs + im->pr_off;
    const size_t ng = im->n_gt, np = im->n_pr;
    const maskeval_id_img gimg = *gi, pimg = *pi;
    uint64_t *parea = NULL, *gband = NULL, *pband = NULL;
    uint8_t *gmatched = NULL, *pmatched = NULL;
    long *crowd_of_cat = NULL;
    cand *cands = NULL;
    seg_index gix = {0}, pix = {0};
    size_t n_pairs = 0, n_pids = 0, n_bpairs = 0, n_bpids = 0, npix, nc = 0;
    maskeval_status st = MASKEVAL_OK;

    memset(rec, 0, sizeof(*rec));
    npix = (size_t)gimg.w * gimg.h;
    parea = maskeval_calloc(a, np + 1, sizeof(uint64_t));
    gmatched = maskeval_calloc(a, ng + 1, 1);
    pmatched = maskeval_calloc(a, np + 1, 1);
    crowd_of_cat = maskeval_malloc(a, (d->n_cats + 1) * sizeof(long));
    if (index_build(a, gs, ng, &gix) != MASKEVAL_OK || index_build(a, ps, np, &pix) != MASKEVAL_OK) {
        st = MASKEVAL_ERR_NOMEM;
        goto nomem;
    }
    if (parea == NULL || gmatched == NULL || pmatched == NULL || crowd_of_cat == NULL) {
        st = MASKEVAL_ERR_NOMEM;
        goto nomem;
    }
    if (counted != NULL) {
        n_pairs = counted[0];
        n_pids = counted[1];
    } else {
        int outside = 1;
        st = dense != NULL ? maskeval_pq_joint_dense(a, dense, &w->mask, &n_pairs, &n_pids,
                                                     &outside)
                           : MASKEVAL_OK;
        if (st == MASKEVAL_OK && outside) {
            st = maskeval_pq_joint(a, gimg.ids, pimg.ids, npix, &w->mask, &n_pairs, &n_pids);
        }
    }
    if (st != MASKEVAL_OK) {
        goto nomem;
    }
    /* a bogus JSON area can let one segment match several: one slot per pair */
    cands = maskeval_malloc(a, (n_pairs + 1) * sizeof(cand));
    if (cands == NULL) {
        st = MASKEVAL_ERR_NOMEM;
        goto nomem;
    }
    /* the prediction's checks, in increasing id order as np.unique gives them */
    {
        size_t seen = 0;
        for (size_t k = 0; k < n_pids; k++) {
            const pq_idcount *h = &w->mask.pred_hist[k];
            const long s = seg_find(&pix, h->id);
            if (s < 0) {
                if (h->id == MASKEVAL_PQ_VOID) {
                    continue;
                }
                snprintf(err, errcap,
                         "%s: image %s: segment id %u is in the PNG but not in the prediction's "
                         "segments_info",
                         im->pred_path, im->label, h->id);
                st = MASKEVAL_ERR_PARSE;
                goto done;
            }
            parea[s] = h->n;
            seen++;
            if (ps[s].cat < 0) {
                snprintf(err, errcap,
                         "%s: image %s: segment id %u has category_id %lld, which is not a "
                         "category of the ground truth",
                         im->pred_path, im->label, h->id, (long long)ps[s].cat_id);
                st = MASKEVAL_ERR_PARSE;
                goto done;
            }
        }
        if (seen != np) {
            for (size_t s = 0; s < np; s++) {
                if (parea[s] == 0) {
                    snprintf(err, errcap,
                             "%s: image %s: segment id %lld of segments_info is not in the PNG",
                             im->pred_path, im->label, (long long)ps[s].id);
                    break;
                }
            }
            st = MASKEVAL_ERR_PARSE;
            goto done;
        }
    }
    /* Boundary PQ: joint histogram of the two boundary maps */
    if (o->dilation_ratio > 0) {
        const uint32_t dd = maskeval_band_width(gimg.h, gimg.w, o->dilation_ratio);
        const uint32_t bid = (uint32_t)(d->max_cat_id + 1);
        gband = maskeval_malloc(a, (ng + 1) * sizeof(uint64_t));
        pband = maskeval_malloc(a, (np + 1) * sizeof(uint64_t));
        if (gband == NULL || pband == NULL || grow_buf(a, w, npix, gimg.w) != MASKEVAL_OK) {
            st = MASKEVAL_ERR_NOMEM;
            goto nomem;
        }
        if (seg_find(&gix, bid) >= 0) {
            boundary_map_literal(gimg.ids, gimg.h, gimg.w, dd, gs, ng, bid, w->bmap_g, w->bmap_p,
                                 w->run, w->band_g, gband);
        } else {
            maskeval_band_labels(gimg.ids, gimg.h, gimg.w, dd, w->run, w->band_g);
            boundary_map(gimg.ids, npix, w->band_g, &gix, ng, bid, w->bmap_g, gband);
        }
        if (seg_find(&pix, bid) >= 0) {
            /* bmap_g is done: band_g serves as scratch; tmp must not be bmap_g */
            uint32_t *tmp = maskeval_malloc(a, npix * sizeof(uint32_t));
            if (tmp == NULL) {
                st = MASKEVAL_ERR_NOMEM;
                goto nomem;
            }
            boundary_map_literal(pimg.ids, gimg.h, gimg.w, dd, ps, np, bid, w->bmap_p, tmp,
                                 w->run, w->band_p, pband);
            maskeval_free(a, tmp);
        } else {
            maskeval_band_labels(pimg.ids, gimg.h, gimg.w, dd, w->run, w->band_p);
            boundary_map(pimg.ids, npix, w->band_p, &pix, np, bid, w->bmap_p, pband);
        }
        st = maskeval_pq_joint(a, w->bmap_g, w->bmap_p, npix, &w->band, &n_bpairs, &n_bpids);
        if (st != MASKEVAL_OK) {
            goto nomem;
        }
    }
    /* matching, pairs in (gt id, pred id) order */
    for (size_t k = 0; k < n_pairs; k++) {
        const pq_pair *pr = &w->mask.pairs[k];
        const long g = seg_find(&gix, pr->g), p = seg_find(&pix, pr->p);
        double uni, iou;
        if (g < 0 || p < 0 || gs[g].crowd || gs[g].cat_id != ps[p].cat_id) {
            continue;
        }
        uni = (((double)parea[p] + gs[g].area) - (double)pr->n) -
              (double)maskeval_pq_pair_count(w->mask.pairs, n_pairs, MASKEVAL_PQ_VOID, pr->p);
        iou = (double)pr->n / uni;
        if (o->dilation_ratio > 0) {
            const uint64_t bi = maskeval_pq_pair_count(w->band.pairs, n_bpairs, pr->g, pr->p);
            const double bu =
                (((double)pband[p] + (double)gband[g]) - (double)bi) -
                (double)maskeval_pq_pair_count(w->band.pairs, n_bpairs, MASKEVAL_PQ_VOID, pr->p);
            const double biou = (double)bi / bu;
            iou = biou < iou ? biou : iou;
        }
        if (iou > 0.5) {
            gmatched[g] = 1;
            pmatched[p] = 1;
            if (gs[g].cat >= 0) {
                cands[nc].g = (uint32_t)g;
                cands[nc].p = (uint32_t)p;
                cands[nc].iou = iou;
                nc++;
            }
        }
    }
    rec->tp = maskeval_malloc(a, (nc + 1) * sizeof(pq_tp));
    rec->fn = maskeval_malloc(a, (ng + 1) * sizeof(uint32_t));
    rec->fp = maskeval_malloc(a, (np + 1) * sizeof(uint32_t));
    if (rec->tp == NULL || rec->fn == NULL || rec->fp == NULL) {
        st = MASKEVAL_ERR_NOMEM;
        goto nomem;
    }
    for (size_t k = 0; k < nc; k++) {
        rec->tp[k].cat = (uint32_t)gs[cands[k].g].cat;
        rec->tp[k].iou = cands[k].iou;
    }
    rec->n_tp = nc;
    /* false negatives; crowd segments by category (the last one listed wins) */
    for (size_t c = 0; c <= d->n_cats; c++) {
        crowd_of_cat[c] = -1;
    }
    for (size_t g = 0; g < ng; g++) {
        if (gmatched[g]) {
            continue;
        }
        if (gs[g].crowd) {
            if (gs[g].cat >= 0) {
                crowd_of_cat[gs[g].cat] = (long)g;
            }
            continue;
        }
        if (gs[g].cat >= 0) {
            rec->fn[rec->n_fn++] = (uint32_t)gs[g].cat;
        }
    }
    /* false positives: unmatched predictions not mostly on VOID or a crowd of their class */
    for (size_t p = 0; p < np; p++) {
        uint64_t ign;
        if (pmatched[p]) {
            continue;
        }
        ign = maskeval_pq_pair_count(w->mask.pairs, n_pairs, MASKEVAL_PQ_VOID, (uint32_t)ps[p].id);
        if (crowd_of_cat[ps[p].cat] >= 0) {
            /* a crowd id beyond 32 bits has no pixels (ids in a PNG are < 2^24) */
            const int64_t cid = gs[crowd_of_cat[ps[p].cat]].id;
            if (cid >= 0 && cid <= (int64_t)UINT32_MAX) {
                ign += maskeval_pq_pair_count(w->mask.pairs, n_pairs, (uint32_t)cid,
                                              (uint32_t)ps[p].id);
            }
        }
        if ((double)ign / (double)parea[p] > 0.5) {
            continue;
        }
        rec->fp[rec->n_fp++] = (uint32_t)ps[p].cat;
    }
    goto done;
nomem:
    snprintf(err, errcap, "%s: out of memory evaluating image %s", im->gt_path, im->label);
done:
    if (st != MASKEVAL_OK) {
        maskeval_pq_record_free(a, rec);
    }
    maskeval_free(a, parea);
    maskeval_free(a, gband);
    maskeval_free(a, pband);
    maskeval_free(a, gmatched);
    maskeval_free(a, pmatched);
    maskeval_free(a, crowd_of_cat);
    maskeval_free(a, cands);
    maskeval_free(a, gix.k);
    maskeval_free(a, pix.k);
    return st;
}

maskeval_status maskeval_pq_eval(const maskeval_alloc *a, const pq_data *d, size_t i,
                                 const pq_image_opts *o, pq_worker *w,
                                 const maskeval_id_img *gi, const maskeval_id_img *pi,
                                 const maskeval_seg_maps *dense, pq_record *rec, char *err,
                                 size_t errcap)
{
    return eval_image(a, d, i, o, w, gi, pi, dense, NULL, rec, err, errcap);
}

/* PQ without boundaries needs only the joint histogram: two clean PNGs of
 * one size are counted row by row (maskeval_pq_joint_rows) without id
 * maps; any other pair takes maskeval_pq_read's path, so every id and
 * every message is the same. */
maskeval_status maskeval_pq_image(const maskeval_alloc *a, const pq_data *d, size_t i,
                                  const pq_image_opts *o, pq_worker *w, pq_record *rec, char *err,
                                  size_t errcap)
{
    const pq_img *im = &d->imgs[i];
    maskeval_id_img gimg, pimg;
    maskeval_png_rows *gr = &w->gr, *pr = &w->pr;
    char *gfile = NULL, *pfile = NULL;
    size_t glen = 0, plen = 0, counted[2];
    int gok = 0, pok = 0;
    maskeval_status st;

    memset(rec, 0, sizeof(*rec));
    memset(&gimg, 0, sizeof(gimg));
    memset(&pimg, 0, sizeof(pimg));
    st = maskeval_png_slurp(a, im->gt_path, &gfile, &glen, err, errcap);
    if (st == MASKEVAL_OK && o->dilation_ratio <= 0) {
        /* a gt file that opens here decodes on the other path too, so the
         * pred file is read next there as well */
        gok = maskeval_png_rows_reopen(a, gfile, glen, o->max_image_pixels,
                                       MASKEVAL_PNG_ROWS_COLOR, gr);
        if (gok > 0) {
            st = maskeval_png_slurp(a, im->pred_path, &pfile, &plen, err, errcap);
        }
        if (st == MASKEVAL_OK && gok > 0) {
            pok = maskeval_png_rows_reopen(a, pfile, plen, o->max_image_pixels,
                                           MASKEVAL_PNG_ROWS_COLOR, pr);
        }
        if (gok < 0 || pok < 0) {
            snprintf(err, errcap, "%s: out of memory decoding",
                     gok < 0 ? im->gt_path : im->pred_path);
            st = MASKEVAL_ERR_NOMEM;
        }
    }
    if (st == MASKEVAL_OK && gok > 0 && pok > 0 && gr->w == pr->w && gr->h == pr->h) {
        st = maskeval_pq_joint_rows(a, gr, pr, &w->mask, &counted[0], &counted[1]);
        gimg.w = pimg.w = gr->w;
        gimg.h = pimg.h = gr->h;
        if (st == MASKEVAL_OK) {
            st = eval_image(a, d, i, o, w, &gimg, &pimg, NULL, counted, rec, err, errcap);
        } else {
            snprintf(err, errcap, "%s: out of memory counting segment pairs", im->pred_path);
        }
    } else if (st == MASKEVAL_OK) {
        st = read_rest(a, im, o, gfile, glen, gok > 0 ? gr : NULL, pfile, plen,
                       pok > 0 ? pr : NULL, &gimg, &pimg, err, errcap);
        if (st == MASKEVAL_OK) {
            st = eval_image(a, d, i, o, w, &gimg, &pimg, NULL, NULL, rec, err, errcap);
        }
    }
    maskeval_id_img_free(a, &gimg);
    maskeval_id_img_free(a, &pimg);
    maskeval_free(a, gfile);
    maskeval_free(a, pfile);
    return st;
}
