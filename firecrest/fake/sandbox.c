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
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int sandbox_enter(struct sandbox *sandbox, int system_fd, const char *user)
{
    char relative[sizeof sandbox->home];
    snprintf(sandbox->home, sizeof sandbox->home, "/home/%s", user);
    snprintf(relative, sizeof relative, "home/%s", user);
    sandbox->home_fd = openat(system_fd, relative, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return sandbox->home_fd >= 0 ? 0 : -errno;
}

void sandbox_leave(struct sandbox *sandbox)
{
    if (sandbox->home_fd >= 0)
        close(sandbox->home_fd);
    sandbox->home_fd = -1;
}

/* The part of the client's path below the home ("" for the home itself), or NULL
 * when the path is not in the home. */
static const char *below_home(const struct sandbox *sandbox, const char *path)
{
    size_t home_length = strlen(sandbox->home);
    if (strncmp(path, sandbox->home, home_length) != 0 ||
        (path[home_length] != '\0' && path[home_length] != '/'))
        return NULL;
    path += home_length;
    while (*path == '/')
        path++;
    return path;
}

/* Open `relative` (inside the home) from the home's fd. */
static int open_beneath(const struct sandbox *sandbox, const char *relative, int flags, mode_t mode)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .mode = (flags & O_CREAT) ? mode : 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, sandbox->home_fd, relative[0] != '\0' ? relative : ".", &how,
                          sizeof how);
    return fd >= 0 ? fd : -errno;
}

int sandbox_open(const struct sandbox *sandbox, const char *path, int flags, mode_t mode)
{
    if (path[0] != '/' || strlen(path) >= PATH_MAX)
        return -EINVAL;
    const char *relative = below_home(sandbox, path);
    return relative != NULL ? open_beneath(sandbox, relative, flags, mode) : -EACCES;
}

int sandbox_open_parent(const struct sandbox *sandbox, const char *path, char *name,
                        size_t name_size)
{
    if (path[0] != '/' || strlen(path) >= PATH_MAX)
        return -EINVAL;
    const char *relative = below_home(sandbox, path);
    if (relative == NULL || relative[0] == '\0')
        return -EACCES; /* outside the home, or the home itself: not the user's to change */
    size_t length = strlen(relative);
    while (length > 0 && relative[length - 1] == '/')
        length--; /* "a/b/" names b too */
    const char *last_slash = memrchr(relative, '/', length);
    const char *last = last_slash != NULL ? last_slash + 1 : relative;
    size_t name_length = length - (size_t)(last - relative);
    if (name_length == 0 || name_length >= name_size)
        return -EINVAL;
    memcpy(name, last, name_length);
    name[name_length] = '\0';
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return -EINVAL;
    char parent[PATH_MAX];
    size_t parent_length = last_slash != NULL ? (size_t)(last_slash - relative) : 0;
    memcpy(parent, relative, parent_length);
    parent[parent_length] = '\0';
    return open_beneath(sandbox, parent, O_PATH | O_DIRECTORY, 0);
}

int sandbox_make_directories(const struct sandbox *sandbox, const char *path)
{
    const char *relative = below_home(sandbox, path);
    if (relative == NULL)
        return -EACCES;
    size_t length = strlen(path), start = (size_t)(relative - path);
    if (length >= PATH_MAX)
        return -ENAMETOOLONG;
    char *partial = malloc(PATH_MAX);
    if (partial == NULL)
        return -ENOMEM;
    int result = 0, depth = 0;
    for (size_t i = start; result == 0 && i <= length; i++) {
        if ((i == length || path[i] == '/') && i > start && path[i - 1] != '/') {
            if (++depth > SANDBOX_MAX_DEPTH) {
                result = -ELOOP;
                break;
            }
            memcpy(partial, path, i);
            partial[i] = '\0';
            char name[NAME_MAX + 1];
            int parent = sandbox_open_parent(sandbox, partial, name, sizeof name);
            if (parent < 0) {
                result = parent;
                break;
            }
            if (mkdirat(parent, name, 0755) != 0 && errno != EEXIST)
                result = -errno;
            close(parent);
        }
    }
    free(partial);
    return result;
}

/* --- symlinks, stored relative to their directory -------------------------------- */

/* Split `relative` into components, resolving "." and ".." as text. Returns the
 * count, or -1 when ".." climbs above the home or there are too many. */
static int components(char *relative, char **parts, int room)
{
    int count = 0;
    for (char *save, *part = strtok_r(relative, "/", &save); part != NULL;
         part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0)
            continue;
        if (strcmp(part, "..") == 0) {
            if (count == 0)
                return -1;
            count--;
        } else if (count == room) {
            return -1;
        } else {
            parts[count++] = part;
        }
    }
    return count;
}

int sandbox_link_text(const struct sandbox *sandbox, const char *link_path, const char *target_path,
                      char *text, size_t text_size)
{
    const char *link_relative = below_home(sandbox, link_path);
    const char *target_relative = below_home(sandbox, target_path);
    if (link_relative == NULL || target_relative == NULL)
        return -EACCES;
    enum { ROOM = PATH_MAX / 2 };
    char *link_copy = strdup(link_relative), *target_copy = strdup(target_relative);
    char **link_parts = malloc(ROOM * sizeof *link_parts),
         **target_parts = malloc(ROOM * sizeof *target_parts);
    int result = -ENOMEM;
    if (link_copy != NULL && target_copy != NULL && link_parts != NULL && target_parts != NULL) {
        int link_count = components(link_copy, link_parts, ROOM);
        int target_count = components(target_copy, target_parts, ROOM);
        result = link_count <= 0 || target_count < 0 ? -EACCES : 0;
        if (result == 0) {
            int directory_count = link_count - 1, common = 0; /* the link's own directory */
            while (common < directory_count && common < target_count &&
                   strcmp(link_parts[common], target_parts[common]) == 0)
                common++;
            size_t used = 0;
            text[0] = '\0';
            for (int i = common; i < directory_count && used < text_size; i++)
                used += (size_t)snprintf(text + used, text_size - used, "../");
            for (int i = common; i < target_count && used < text_size; i++)
                used += (size_t)snprintf(text + used, text_size - used, "%s%s", target_parts[i],
                                         i + 1 < target_count ? "/" : "");
            if (used >= text_size)
                result = -ENAMETOOLONG;
            else if (used == 0)
                snprintf(text, text_size, ".");
        }
    }
    free(link_copy);
    free(target_copy);
    free(link_parts);
    free(target_parts);
    return result;
}

/* --- tree walks: loops over a stack of open directories on the heap -------------- */

/* One level of a walk: the directory being read, and (for a copy) its copy. */
struct level {
    DIR *dir;
    int copy_fd;
    char *name; /* its name in the level above, to remove it once empty */
};

struct walk {
    struct level *levels;
    int depth;
};

static int walk_push(struct walk *walk, int parent_fd, const char *name, int copy_fd)
{
    if (walk->depth == SANDBOX_MAX_DEPTH)
        return -ELOOP;
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *dir = fdopendir(fd);
    char *copy = strdup(name);
    if (dir == NULL || copy == NULL) {
        if (dir != NULL)
            closedir(dir);
        else
            close(fd);
        free(copy);
        return -ENOMEM;
    }
    walk->levels[walk->depth++] = (struct level){.dir = dir, .copy_fd = copy_fd, .name = copy};
    return 0;
}

static void walk_pop(struct walk *walk)
{
    struct level *level = &walk->levels[--walk->depth];
    closedir(level->dir);
    if (level->copy_fd >= 0)
        close(level->copy_fd);
    free(level->name);
}

static bool is_dot_or_dot_dot(const char *name)
{
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

int sandbox_remove_tree(int dir_fd, const char *name)
{
    if (unlinkat(dir_fd, name, 0) == 0)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -errno;
    struct walk walk = {.levels = malloc(SANDBOX_MAX_DEPTH * sizeof *walk.levels)};
    if (walk.levels == NULL)
        return -ENOMEM;
    /* Empty each directory, deepest first; a symlink is removed, never entered. */
    int result = walk_push(&walk, dir_fd, name, -1);
    while (result == 0 && walk.depth > 0) {
        struct level *top = &walk.levels[walk.depth - 1];
        struct dirent *entry;
        while ((entry = readdir(top->dir)) != NULL && is_dot_or_dot_dot(entry->d_name))
            continue;
        if (entry != NULL) {
            if (unlinkat(dirfd(top->dir), entry->d_name, 0) != 0)
                result = errno == EISDIR || errno == EPERM
                             ? walk_push(&walk, dirfd(top->dir), entry->d_name, -1)
                             : -errno;
            continue;
        }
        /* Empty: remove it from the level above. */
        char *done = strdup(top->name);
        walk_pop(&walk);
        int parent = walk.depth > 0 ? dirfd(walk.levels[walk.depth - 1].dir) : dir_fd;
        if (done == NULL || unlinkat(parent, done, AT_REMOVEDIR) != 0)
            result = done == NULL ? -ENOMEM : -errno;
        free(done);
    }
    while (walk.depth > 0)
        walk_pop(&walk);
    free(walk.levels);
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
        ssize_t wrote = got > 0 ? write(to_fd, buffer, (size_t)got) : 0;
        if (got == 0)
            result = 0;
        else if (got < 0 || wrote < 0)
            result = -errno;
        else if (wrote != got)
            result = -EIO;
    }
    free(buffer);
    return result;
}

/* Copy one entry that is not a directory: a symlink as a symlink, a file's bytes. */
static int copy_leaf(int from_dir, const char *from_name, const struct stat *info, int to_dir,
                     const char *to_name)
{
    if (S_ISLNK(info->st_mode)) {
        char *target = malloc(PATH_MAX);
        ssize_t length =
            target != NULL ? readlinkat(from_dir, from_name, target, PATH_MAX - 1) : -1;
        int result = length < 0 ? (target == NULL ? -ENOMEM : -errno) : 0;
        if (length >= 0) {
            target[length] = '\0';
            result = symlinkat(target, to_dir, to_name) == 0 ? 0 : -errno;
        }
        free(target);
        return result;
    }
    if (!S_ISREG(info->st_mode))
        return -EPERM; /* devices, fifos: not in our sandbox */
    int from_fd = openat(from_dir, from_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (from_fd < 0)
        return -errno;
    int to_fd = openat(to_dir, to_name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                       info->st_mode & 0777);
    int result = to_fd < 0 ? -errno : copy_file_contents(from_fd, to_fd);
    close(from_fd);
    if (to_fd >= 0)
        close(to_fd);
    return result;
}

/* Is the directory `dir_fd` the directory (dev, ino), or inside it? Climbs by "..". */
static bool is_within(int dir_fd, dev_t dev, ino_t ino)
{
    int fd = openat(dir_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    bool within = false;
    for (int climbed = 0; fd >= 0 && climbed < PATH_MAX; climbed++) {
        struct stat here, above;
        if (fstat(fd, &here) != 0)
            break;
        if (here.st_dev == dev && here.st_ino == ino) {
            within = true;
            break;
        }
        int parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        bool at_root = parent >= 0 && fstat(parent, &above) == 0 && above.st_dev == here.st_dev &&
                       above.st_ino == here.st_ino;
        if (parent < 0 || at_root) {
            if (parent >= 0)
                close(parent);
            break; /* the filesystem's root: (dev, ino) is not above us */
        }
        close(fd);
        fd = parent;
    }
    if (fd >= 0)
        close(fd);
    return within;
}

/* Make the copy of a directory, and open it. Returns an fd or -errno. */
static int make_directory_copy(int to_dir, const char *to_name, mode_t mode)
{
    if (mkdirat(to_dir, to_name, mode & 07777) != 0 && errno != EEXIST)
        return -errno;
    int fd = openat(to_dir, to_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

int sandbox_copy_tree(int from_dir, const char *from_name, int to_dir, const char *to_name)
{
    struct stat info;
    if (fstatat(from_dir, from_name, &info, AT_SYMLINK_NOFOLLOW) != 0)
        return -errno;
    if (!S_ISDIR(info.st_mode))
        return copy_leaf(from_dir, from_name, &info, to_dir, to_name);
    if (is_within(to_dir, info.st_dev, info.st_ino))
        return -EINVAL; /* cp: cannot copy a directory into itself */
    struct walk walk = {.levels = malloc(SANDBOX_MAX_DEPTH * sizeof *walk.levels)};
    if (walk.levels == NULL)
        return -ENOMEM;
    int copy_fd = make_directory_copy(to_dir, to_name, info.st_mode);
    int result = copy_fd < 0 ? copy_fd : walk_push(&walk, from_dir, from_name, copy_fd);
    if (result < 0 && copy_fd >= 0)
        close(copy_fd);
    while (result == 0 && walk.depth > 0) {
        struct level *top = &walk.levels[walk.depth - 1];
        struct dirent *entry;
        while ((entry = readdir(top->dir)) != NULL && is_dot_or_dot_dot(entry->d_name))
            continue;
        if (entry == NULL) {
            walk_pop(&walk);
            continue;
        }
        if (fstatat(dirfd(top->dir), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0) {
            result = -errno;
        } else if (!S_ISDIR(info.st_mode)) {
            result = copy_leaf(dirfd(top->dir), entry->d_name, &info, top->copy_fd, entry->d_name);
        } else {
            copy_fd = make_directory_copy(top->copy_fd, entry->d_name, info.st_mode);
            result =
                copy_fd < 0 ? copy_fd : walk_push(&walk, dirfd(top->dir), entry->d_name, copy_fd);
            if (result < 0 && copy_fd >= 0)
                close(copy_fd);
        }
    }
    while (walk.depth > 0)
        walk_pop(&walk);
    free(walk.levels);
    return result;
}

int sandbox_create_temporary(int dir_fd, char *name, size_t name_size)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        unsigned char random[8];
        RAND_bytes(random, sizeof random);
        snprintf(name, name_size, ".upload-%02x%02x%02x%02x%02x%02x%02x%02x", random[0], random[1],
                 random[2], random[3], random[4], random[5], random[6], random[7]);
        int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST)
            return fd >= 0 ? fd : -errno;
    }
    return -EEXIST;
}
