/*
 * sandbox.h - the fake FirecREST's filesystem: every path a client sends is
 * resolved inside that user's home directory, and nowhere else.
 *
 * Each system is a directory the server owns, <root>/<system>, with one home per
 * user, home/<user>. A client names files as on a real cluster,
 * "/home/test_user/a.txt"; the sandbox keeps the part after its own home and
 * opens it from the home's directory fd. Anything else (another user's home,
 * "/home", "/etc/passwd") is refused with -EACCES, as a real cluster's
 * permissions would.
 *
 * The kernel does the checking: openat2(2) with RESOLVE_BENEATH refuses any
 * resolution that would leave the starting directory, whether by "..", by an
 * absolute path, or by a symlink pointing outside. Checking strings by hand
 * ("does it contain ..?") is how path-traversal bugs are born; this is not.
 *
 * Tree walks (remove, copy) are loops with a stack on the heap, never recursion:
 * a user who nests directories 2000 deep controls the depth, and civetweb's worker
 * threads have 100 KB stacks. They stop at SANDBOX_MAX_DEPTH levels (-ELOOP).
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

enum { SANDBOX_MAX_DEPTH = 512 };

/* One user's view of one system. */
struct sandbox {
    int home_fd;   /* <root>/<system>/home/<user>, or -1 */
    char home[48]; /* "/home/<user>": the home as clients name it */
};

/* Open `user`'s home on the system whose directory is `system_fd`. 0 or -errno. */
int sandbox_enter(struct sandbox *sandbox, int system_fd, const char *user);
void sandbox_leave(struct sandbox *sandbox);

/* Open `path` (absolute, as the client wrote it). Returns an fd or -errno:
 * -EACCES outside the user's home, -EXDEV or -ELOOP when ".." or a symlink tries
 * to leave it. */
int sandbox_open(const struct sandbox *sandbox, const char *path, int flags, mode_t mode);

/*
 * Open the directory that holds `path` (O_PATH) and copy its last component into
 * `name`, for the *at() calls (mkdirat, unlinkat, renameat, symlinkat...).
 * Returns an fd or -errno (-EINVAL for "." or ".." as the last component,
 * -EACCES for the home itself and anything outside it).
 */
int sandbox_open_parent(const struct sandbox *sandbox, const char *path, char *name,
                        size_t name_size);

/* mkdir -p, one component at a time. Returns 0 or -errno. */
int sandbox_make_directories(const struct sandbox *sandbox, const char *path);

/* The text of a symlink at `link_path` that points to `target_path`, relative to
 * the link's directory ("../data/a.txt"), so that it resolves inside the sandbox
 * and never on the host. Returns 0 or -errno. */
int sandbox_link_text(const struct sandbox *sandbox, const char *link_path, const char *target_path,
                      char *text, size_t text_size);

/* Remove `name` in `dir_fd`, and everything below it if it is a directory.
 * Never follows symlinks. Returns 0 or -errno. */
int sandbox_remove_tree(int dir_fd, const char *name);

/* Copy `from_name` in `from_dir` to `to_name` in `to_dir`, directories
 * recursively, symlinks as symlinks. A directory into itself is -EINVAL.
 * Returns 0 or -errno. */
int sandbox_copy_tree(int from_dir, const char *from_name, int to_dir, const char *to_name);

/* A new, empty file in `dir_fd` under a fresh hidden name (written to `name`),
 * for writing a file whole and renaming it into place. Returns an fd or -errno. */
int sandbox_create_temporary(int dir_fd, char *name, size_t name_size);

#endif
