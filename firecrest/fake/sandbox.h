/*
 * sandbox.h - the fake FirecREST's filesystem: every path a client sends is
 * resolved inside one directory the server owns, and nowhere else.
 *
 * The kernel does the checking: openat2(2) with RESOLVE_BENEATH refuses any
 * resolution that would leave the starting directory, whether by "..", by an
 * absolute path, or by a symlink pointing outside. Checking strings by hand
 * ("does it contain ..?") is how path-traversal bugs are born; this is not.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Open `path` ("/home/test_user/a.txt", as the client wrote it: absolute, inside
 * the sandbox) relative to `root_fd`. Returns an fd, or -errno: -EXDEV or -ELOOP
 * when the path tries to leave the sandbox.
 */
int sandbox_open(int root_fd, const char *path, int flags, mode_t mode);

/*
 * Open the directory that holds `path` (O_PATH) and copy its last component into
 * `name`, for the *at() calls (mkdirat, unlinkat, renameat, symlinkat...).
 * Returns an fd or -errno (-EINVAL for "/", "." or ".." as the last component).
 */
int sandbox_open_parent(int root_fd, const char *path, char *name, size_t name_size);

/* Remove `name` in `dir_fd`, and everything below it if it is a directory.
 * Never follows symlinks. Returns 0 or -errno. */
int sandbox_remove_tree(int dir_fd, const char *name);

/* Copy `from_name` in `from_dir` to `to_name` in `to_dir`, directories
 * recursively, symlinks as symlinks. Returns 0 or -errno. */
int sandbox_copy_tree(int from_dir, const char *from_name, int to_dir, const char *to_name);

#endif
