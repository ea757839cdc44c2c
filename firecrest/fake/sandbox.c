/*
 * sandbox.c - see sandbox.h. Every function works on directory fds and *at()
 * calls, never on joined path strings, so nothing here can be tricked into
 * resolving a path outside the sandbox.
 */
#define _GNU_SOURCE /* memrchr */
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The client's absolute path, made relative to the sandbox root ("" is the root). */
static const char *relative_to_root(const char *path)
{
    while (*path == '/')
        path++;
    return *path == '\0' ? "." : path;
}

int sandbox_open(int root_fd, const char *path, int flags, mode_t mode)
{
    if (path[0] != '/' || strlen(path) >= PATH_MAX)
        return -EINVAL;
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .mode = (flags & O_CREAT) ? mode : 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, root_fd, relative_to_root(path), &how, sizeof how);
    return fd >= 0 ? fd : -errno;
}

int sandbox_open_parent(int root_fd, const char *path, char *name, size_t name_size)
{
    size_t length = strlen(path);
    while (length > 1 && path[length - 1] == '/')
        length--;                                   /* "/a/b/" names b too */
    const char *last_slash = memrchr(path, '/', length);
    if (path[0] != '/' || last_slash == NULL || length >= PATH_MAX)
        return -EINVAL;
    size_t name_length = length - (size_t)(last_slash + 1 - path);
    if (name_length == 0 || name_length >= name_size)
        return -EINVAL;
    memcpy(name, last_slash + 1, name_length);
    name[name_length] = '\0';
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return -EINVAL;
    char parent[PATH_MAX];
    size_t parent_length = (size_t)(last_slash - path);
    memcpy(parent, path, parent_length);
    parent[parent_length] = '\0';
    return sandbox_open(root_fd, parent_length == 0 ? "/" : parent, O_PATH | O_DIRECTORY, 0);
}

int sandbox_remove_tree(int dir_fd, const char *name)
{
    if (unlinkat(dir_fd, name, 0) == 0)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -errno;
    /* A directory: empty it first. O_NOFOLLOW: a symlink is removed, not entered. */
    int child_fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child_fd < 0)
        return -errno;
    DIR *dir = fdopendir(child_fd);
    if (dir == NULL) {
        close(child_fd);
        return -ENOMEM;
    }
    int result = 0;
    for (struct dirent *entry; result == 0 && (entry = readdir(dir)) != NULL;) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            result = sandbox_remove_tree(dirfd(dir), entry->d_name);
    }
    closedir(dir);
    if (result == 0 && unlinkat(dir_fd, name, AT_REMOVEDIR) != 0)
        result = -errno;
    return result;
}

/* The buffer is on the heap: civetweb's worker threads have small stacks. */
static int copy_file_contents(int from_fd, int to_fd)
{
    enum { BUFFER_SIZE = 65536 };
    char *buffer = malloc(BUFFER_SIZE);
    int result = buffer == NULL ? -ENOMEM : 1;
    while (result == 1) {
        ssize_t got = read(from_fd, buffer, BUFFER_SIZE);
        if (got == 0)
            result = 0;
        else if (got < 0 || write(to_fd, buffer, (size_t)got) != got)
            result = -errno;
    }
    free(buffer);
    return result;
}

int sandbox_copy_tree(int from_dir, const char *from_name, int to_dir, const char *to_name)
{
    struct stat info;
    if (fstatat(from_dir, from_name, &info, AT_SYMLINK_NOFOLLOW) != 0)
        return -errno;
    if (S_ISLNK(info.st_mode)) {           /* a symlink is copied as a symlink */
        char *target = malloc(PATH_MAX);   /* heap: this function recurses on small stacks */
        ssize_t length = target != NULL ? readlinkat(from_dir, from_name, target, PATH_MAX - 1) : -1;
        int result = length < 0 ? -errno : 0;
        if (length >= 0) {
            target[length] = '\0';
            result = symlinkat(target, to_dir, to_name) == 0 ? 0 : -errno;
        }
        free(target);
        return result;
    }
    int from_fd = openat(from_dir, from_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (from_fd < 0)
        return -errno;
    int result = 0;
    if (S_ISDIR(info.st_mode)) {
        if (mkdirat(to_dir, to_name, info.st_mode & 07777) != 0 && errno != EEXIST) {
            close(from_fd);
            return -errno;
        }
        int to_fd = openat(to_dir, to_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *dir = fdopendir(from_fd);
        if (to_fd < 0 || dir == NULL) {
            result = to_fd < 0 ? -errno : -ENOMEM;
            if (dir == NULL)
                close(from_fd);
        } else {
            for (struct dirent *entry; result == 0 && (entry = readdir(dir)) != NULL;) {
                if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
                    result = sandbox_copy_tree(dirfd(dir), entry->d_name, to_fd, entry->d_name);
            }
        }
        if (dir != NULL)
            closedir(dir);
        if (to_fd >= 0)
            close(to_fd);
        return result;
    }
    if (!S_ISREG(info.st_mode)) {
        close(from_fd);
        return -EPERM;                     /* devices, fifos: not in our sandbox */
    }
    int to_fd = openat(to_dir, to_name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                       info.st_mode & 0777);
    result = to_fd < 0 ? -errno : copy_file_contents(from_fd, to_fd);
    close(from_fd);
    if (to_fd >= 0)
        close(to_fd);
    return result;
}
