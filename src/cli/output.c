/*
 * output.c - how the commands write files, so that a run never destroys or
 * half-writes what is there:
 *
 *  - Paths are checked before any work starts (cli_output_check): an empty
 *    path, a path that is one of the run's inputs, a missing or unwritable
 *    directory are usage or input errors then, not after a long evaluation.
 *  - A run's outputs form a set (cli_outputs): every file is first written
 *    completely to a temporary file in its target's real directory; only
 *    when all of them are written are they renamed into place, so a failure
 *    leaves every old file as it was. In a --dump-arrays directory the old
 *    arrays.json (the manifest) is removed first and the new one is renamed
 *    last: a reader that finds arrays.json finds the arrays it describes.
 *  - Symbolic links are followed (the link stays, its target is replaced);
 *    character devices, FIFOs and sockets (/dev/null, /dev/full, a pipe,
 *    /proc/self/fd/N) are written directly, never replaced; "-" is stdout.
 *  - New files get the umask's permissions (0666 & ~umask); a replaced file
 *    keeps its mode.
 *  - SIGINT and SIGTERM remove the temporary files before the process dies.
 *  - Every write, flush and close is checked, on stdout too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* ---- temporary files removed on a signal ----------------------------------- */

#define MAX_TEMPS 64

static char *volatile temps[MAX_TEMPS];
static volatile sig_atomic_t handlers_set;
/* The signal may reach any thread (an OpenCL runtime's too), so blocking it
 * in the thread that creates a temporary does not keep the handler out of
 * the window between creating the file and registering it. The two flags
 * close it (Dekker's handshake): the handler announces itself, then waits
 * for a creation in progress to finish, so either it sees the new name or
 * the creating thread sees it coming and creates nothing. */
static atomic_int creating;
static atomic_int dying;
static volatile sig_atomic_t progress_line; /* a progress bar is on stderr */

static void on_signal(int sig)
{
    atomic_store(&dying, 1);
    if (progress_line) {
        static const char clear[] = "\r\033[K";
        ssize_t w = write(STDERR_FILENO, clear, sizeof(clear) - 1); /* async-signal-safe */
        (void)w;
    }
    while (atomic_load(&creating)) {
        /* a few microseconds: mkstemp and a table entry */
    }
    for (int i = 0; i < MAX_TEMPS; i++) {
        if (temps[i] != NULL) {
            unlink(temps[i]); /* async-signal-safe */
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_handlers(void)
{
    struct sigaction sa;
    if (handlers_set) {
        return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    handlers_set = 1;
}

void cli_signals_progress_line(int on_screen)
{
    install_handlers();
    progress_line = on_screen;
}

static int temp_register(char *path)
{
    for (int i = 0; i < MAX_TEMPS; i++) {
        if (temps[i] == NULL) {
            temps[i] = path;
            return 1;
        }
    }
    return 0;
}

static void temp_forget(const char *path)
{
    for (int i = 0; i < MAX_TEMPS; i++) {
        if (temps[i] == path) {
            temps[i] = NULL;
        }
    }
}

/* ---- where a path really goes ---------------------------------------------- */

/* The file a path names after following symbolic links (also dangling
 * ones, whose target is then created). malloc'd. */
static char *resolve(const char *path)
{
    char buf[PATH_MAX];
    char *cur = strdup(path);
    for (int hops = 0; cur != NULL && hops < 40; hops++) {
        struct stat sb;
        ssize_t n;
        char *next;
        if (lstat(cur, &sb) != 0 || !S_ISLNK(sb.st_mode)) {
            return cur;
        }
        n = readlink(cur, buf, sizeof(buf) - 1);
        if (n < 0) {
            return cur;
        }
        buf[n] = '\0';
        if (buf[0] == '/') {
            next = strdup(buf);
        } else {
            const char *slash = strrchr(cur, '/');
            const size_t dl = slash != NULL ? (size_t)(slash - cur) + 1 : 0;
            next = malloc(dl + (size_t)n + 1);
            if (next != NULL) {
                memcpy(next, cur, dl);
                memcpy(next + dl, buf, (size_t)n + 1);
            }
        }
        free(cur);
        cur = next;
    }
    return cur;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d;
    if (slash == NULL) {
        return strdup(".");
    }
    if (slash == path) {
        return strdup("/");
    }
    d = malloc((size_t)(slash - path) + 1);
    if (d != NULL) {
        memcpy(d, path, (size_t)(slash - path));
        d[slash - path] = '\0';
    }
    return d;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a != NULL && b != NULL && stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* ---- checks before the work ------------------------------------------------ */

int cli_output_check(const char *cmd, const char *option, const char *path, int is_dir,
                     const char *const *inputs, size_t n_inputs)
{
    struct stat sb;
    char *real, *dir;
    int rc = 0;
    if (path == NULL) {
        return 0;
    }
    if (path[0] == '\0') {
        return cli_usage_error(cmd, "%s: the path is empty", option);
    }
    if (strcmp(path, "-") == 0 && !is_dir) {
        return 0;
    }
    for (size_t i = 0; i < n_inputs; i++) {
        if (inputs[i] != NULL && (strcmp(inputs[i], path) == 0 || same_file(inputs[i], path))) {
            return cli_usage_error(cmd, "%s %s is also an input of this run", option, path);
        }
    }
    if (!is_dir && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
        /* a device, FIFO or socket (also through a link such as /proc/self/fd/1) */
        if (access(path, W_OK) != 0) {
            fprintf(stderr, "maskeval: %s: cannot write: %s\n", path, strerror(errno));
            return CLI_ERR_INPUT;
        }
        return 0;
    }
    real = resolve(path);
    if (real == NULL) {
        fprintf(stderr, "maskeval: out of memory\n");
        return CLI_ERR_INPUT;
    }
    if (stat(real, &sb) == 0) {
        if (is_dir && !S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "maskeval: %s: %s exists and is not a directory\n", path, option);
            rc = CLI_ERR_INPUT;
        } else if (!is_dir && S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "maskeval: %s: %s is a directory\n", path, option);
            rc = CLI_ERR_INPUT;
        } else if (is_dir && access(real, W_OK | X_OK) != 0) {
            fprintf(stderr, "maskeval: %s: cannot write into directory: %s\n", path,
                    strerror(errno));
            rc = CLI_ERR_INPUT;
        } else if (!is_dir && !S_ISREG(sb.st_mode)) {
            if (access(real, W_OK) != 0) {
                fprintf(stderr, "maskeval: %s: cannot write: %s\n", path, strerror(errno));
                rc = CLI_ERR_INPUT;
            }
            free(real);
            return rc; /* a device or FIFO is written directly */
        }
    }
    if (rc == 0) {
        dir = dir_of(real);
        if (dir == NULL) {
            fprintf(stderr, "maskeval: out of memory\n");
            rc = CLI_ERR_INPUT;
        } else if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "maskeval: %s: no such directory: %s\n", path, dir);
            rc = CLI_ERR_INPUT;
        } else if (access(dir, W_OK | X_OK) != 0) {
            fprintf(stderr, "maskeval: %s: cannot write into %s: %s\n", path, dir,
                    strerror(errno));
            rc = CLI_ERR_INPUT;
        }
        free(dir);
    }
    free(real);
    return rc;
}

/* ---- the output set ---------------------------------------------------------- */

void cli_outputs_init(cli_outputs *o)
{
    memset(o, 0, sizeof(*o));
}

static mode_t new_file_mode(void)
{
    const mode_t m = umask(0);
    umask(m);
    return 0666 & ~m;
}

static int finish_stream(FILE *f, const char *path, int ok, int is_stdout)
{
    ok = fflush(f) == 0 && ok;
    ok = !ferror(f) && ok;
    if (!is_stdout) {
        ok = fclose(f) == 0 && ok;
    }
    if (!ok) {
        fprintf(stderr, "maskeval: %s: cannot write: %s\n", is_stdout ? "stdout" : path,
                errno != 0 ? strerror(errno) : "write error");
    }
    return ok;
}

int cli_outputs_add(cli_outputs *o, const char *path, int (*writer)(FILE *f, void *arg),
                    void *arg)
{
    cli_output *e;
    struct stat sb;
    char *real, *dir = NULL;
    const char *base;
    FILE *f;
    int fd, ok;

    if (o->n == CLI_MAX_OUTPUTS) {
        fprintf(stderr, "maskeval: too many output files\n");
        return -1;
    }
    errno = 0;
    if (strcmp(path, "-") == 0) {
        ok = writer(stdout, arg) == 0;
        return finish_stream(stdout, path, ok, 1) ? 0 : -1;
    }
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
        /* a device, FIFO or socket (also through a link such as
         * /proc/self/fd/1): written now and directly, never replaced */
        f = fopen(path, "wb");
        if (f == NULL) {
            fprintf(stderr, "maskeval: %s: cannot write: %s\n", path, strerror(errno));
            return -1;
        }
        ok = writer(f, arg) == 0;
        return finish_stream(f, path, ok, 0) ? 0 : -1;
    }
    real = resolve(path);
    if (real == NULL) {
        fprintf(stderr, "maskeval: out of memory\n");
        return -1;
    }
    if (stat(real, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        /* found now, not when renaming: the set must fail before any rename */
        fprintf(stderr, "maskeval: %s: is a directory\n", path);
        free(real);
        return -1;
    }
    e = &o->items[o->n];
    memset(e, 0, sizeof(*e));
    e->shown = path;
    e->final = real;
    e->mode = stat(real, &sb) == 0 ? (sb.st_mode & 07777) : new_file_mode();
    dir = dir_of(real);
    base = strrchr(real, '/') != NULL ? strrchr(real, '/') + 1 : real;
    e->tmp = dir != NULL ? malloc(strlen(dir) + strlen(base) + 16) : NULL;
    if (e->tmp == NULL) {
        free(dir);
        free(real);
        fprintf(stderr, "maskeval: out of memory\n");
        return -1;
    }
    sprintf(e->tmp, "%s/.%s.tmp.XXXXXX", dir, base);
    free(dir);
    install_handlers();
    {
        /* no signal between creating the temporary and registering it:
         * blocked in this thread, the handshake above for the others */
        sigset_t block, old;
        int registered;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGHUP);
        sigprocmask(SIG_BLOCK, &block, &old);
        atomic_store(&creating, 1);
        if (atomic_load(&dying)) {
            atomic_store(&creating, 0);
            for (;;) {
                pause(); /* another thread's handler is ending the process */
            }
        }
        fd = mkstemp(e->tmp);
        registered = fd >= 0 && temp_register(e->tmp);
        atomic_store(&creating, 0);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (fd >= 0 && !registered) {
            close(fd);
            unlink(e->tmp);
            fd = -1;
            errno = EMFILE;
        }
    }
    if (fd < 0) {
        fprintf(stderr, "maskeval: %s: cannot create a temporary file: %s\n", path,
                strerror(errno));
        free(e->tmp);
        free(real);
        return -1;
    }
    o->n++;
    f = fdopen(fd, "wb");
    if (f == NULL) {
        close(fd);
        fprintf(stderr, "maskeval: %s: %s\n", path, strerror(errno));
        return -1;
    }
    ok = fchmod(fd, e->mode) == 0;
    ok = writer(f, arg) == 0 && ok;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    if (!finish_stream(f, path, ok, 0)) {
        return -1;
    }
    return 0;
}

void cli_outputs_abort(cli_outputs *o)
{
    for (size_t i = 0; i < o->n; i++) {
        unlink(o->items[i].tmp);
        temp_forget(o->items[i].tmp);
        free(o->items[i].tmp);
        free(o->items[i].final);
    }
    for (size_t i = 0; i < o->n_dirs; i++) {
        rmdir(o->dirs[i]); /* only the ones this run made, and only if empty */
        free(o->dirs[i]);
    }
    o->n = 0;
    o->n_dirs = 0;
}

int cli_outputs_commit(cli_outputs *o)
{
    int rc = 0;
    /* manifests first out of the way, then the data, the manifests last */
    for (size_t i = 0; i < o->n; i++) {
        if (o->items[i].manifest) {
            unlink(o->items[i].final);
        }
    }
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        for (size_t i = 0; i < o->n && rc == 0; i++) {
            cli_output *e = &o->items[i];
            if (e->manifest != pass) {
                continue;
            }
            if (rename(e->tmp, e->final) != 0) {
                fprintf(stderr, "maskeval: %s: cannot write: %s\n", e->shown, strerror(errno));
                rc = -1;
            }
        }
    }
    for (size_t i = 0; i < o->n; i++) {
        if (rc != 0) {
            unlink(o->items[i].tmp);
        }
        temp_forget(o->items[i].tmp);
        free(o->items[i].tmp);
        free(o->items[i].final);
    }
    for (size_t i = 0; i < o->n_dirs; i++) {
        free(o->dirs[i]);
    }
    o->n = 0;
    o->n_dirs = 0;
    return rc;
}

int cli_outputs_dir(cli_outputs *o, const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        return 0;
    }
    if (mkdir(dir, 0777) != 0) {
        fprintf(stderr, "maskeval: %s: cannot create directory: %s\n", dir, strerror(errno));
        return -1;
    }
    if (o->n_dirs < CLI_MAX_OUTPUTS) {
        o->dirs[o->n_dirs++] = strdup(dir);
    }
    return 0;
}

void cli_outputs_mark_manifest(cli_outputs *o)
{
    if (o->n > 0) {
        o->items[o->n - 1].manifest = 1;
    }
}

int cli_write_atomic(const char *path, int (*writer)(FILE *f, void *arg), void *arg)
{
    cli_outputs o;
    cli_outputs_init(&o);
    if (cli_outputs_add(&o, path, writer, arg) != 0) {
        cli_outputs_abort(&o);
        return -1;
    }
    return cli_outputs_commit(&o);
}

int cli_finish_stdout(int rc)
{
    errno = 0;
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == CLI_OK) {
        fprintf(stderr, "maskeval: cannot write to stdout: %s\n",
                errno != 0 ? strerror(errno) : "write error");
        return CLI_ERR_INPUT;
    }
    return rc;
}
