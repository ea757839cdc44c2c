/*
 * firecrest_utilities.c - /utilities: synchronous file operations on the
 * sandbox (see sandbox.h). Each answers at once with {"description", "output"}
 * or a 400 whose header names the kind of error, as FirecREST does.
 */
#define _GNU_SOURCE /* strcasestr */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "firecrest_internal.h"
#include "json_reply.h"
#include "multipart.h"
#include "numbers.h"
#include "sandbox.h"

#define MAX_FILE_BYTES (5L * 1024 * 1024) /* UTILITIES_MAX_FILE_SIZE in /status/parameters */

/* Turn an errno from the sandbox into FirecREST's error header and a message. */
static int path_error(struct mg_connection *conn, int error, const char *path)
{
    char message[PATH_MAX + 64];
    const char *header = "X-Error";
    switch (error) {
    case ENOENT:
    case EINVAL:
    case ENAMETOOLONG:
        header = "X-Invalid-Path";
        snprintf(message, sizeof message, "%s is an invalid path", path);
        break;
    case EXDEV: /* RESOLVE_BENEATH: the path tried to leave the sandbox */
    case ELOOP:
    case EACCES:
    case EPERM:
        header = "X-Permission-Denied";
        snprintf(message, sizeof message, "User does not have permissions to access %s", path);
        break;
    case ENOTDIR:
        header = "X-Not-A-Directory";
        snprintf(message, sizeof message, "%s is not a directory", path);
        break;
    case EISDIR:
        header = "X-A-Directory";
        snprintf(message, sizeof message, "%s is a directory", path);
        break;
    default: snprintf(message, sizeof message, "%s: %s", path, strerror(error));
    }
    return firecrest_error(conn, 400, header, message);
}

static int missing(struct mg_connection *conn, const char *name)
{
    char message[96];
    snprintf(message, sizeof message, "Error: no %s set", name);
    return firecrest_error(conn, 400, "X-Invalid-Path", message);
}

static bool is_true(const char *value)
{
    return strcasecmp(value, "true") == 0;
}

static void format_time(time_t when, char *text, size_t size)
{
    struct tm utc;
    gmtime_r(&when, &utc);
    strftime(text, size, "%Y-%m-%dT%H:%M:%S", &utc);
}

static void permissions_text(mode_t mode, char *text)
{
    const char *letters = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        text[i] = (mode & (1 << (8 - i))) ? letters[i] : '-';
    text[9] = '\0';
}

/* One `ls -l` line as JSON. Everything in a home belongs to its user. */
static cJSON *describe_entry(int dir_fd, const char *name, const char *shown_name, const char *user)
{
    struct stat info;
    if (fstatat(dir_fd, name, &info, AT_SYMLINK_NOFOLLOW) != 0)
        return NULL;
    cJSON *entry = cJSON_CreateObject();
    char text[PATH_MAX];
    cJSON_AddStringToObject(entry, "name", shown_name);
    cJSON_AddStringToObject(entry, "type",
                            S_ISDIR(info.st_mode)   ? "d"
                            : S_ISLNK(info.st_mode) ? "l"
                                                    : "-");
    ssize_t link_length =
        S_ISLNK(info.st_mode) ? readlinkat(dir_fd, name, text, sizeof text - 1) : 0;
    text[link_length > 0 ? link_length : 0] = '\0';
    cJSON_AddStringToObject(entry, "link_target", text);
    cJSON_AddStringToObject(entry, "user", user);
    cJSON_AddStringToObject(entry, "group", user);
    permissions_text(info.st_mode, text);
    cJSON_AddStringToObject(entry, "permissions", text);
    format_time(info.st_mtime, text, sizeof text);
    cJSON_AddStringToObject(entry, "last_modified", text);
    snprintf(text, sizeof text, "%lld", (long long)info.st_size);
    cJSON_AddStringToObject(entry, "size", text); /* a string, as FirecREST sends it */
    return entry;
}

/*
 * List `dir_fd` into `list`, as `ls -l` would; with `recursive`, the directories
 * below too, each entry shown under its path ("a/b.txt"). A loop over a stack of
 * open directories on the heap, not recursion: the user chooses how deep a tree
 * goes, and civetweb's threads have 100 KB of stack. At most LIST_DEPTH levels.
 */
enum { LIST_DEPTH = 32 };

static void list_directory(int dir_fd, bool show_hidden, bool recursive, cJSON *list,
                           const char *user)
{
    struct level {
        DIR *dir;
        size_t prefix_length; /* the bytes of `prefix` that name this directory */
    } *levels = malloc(LIST_DEPTH * sizeof *levels);
    char *prefix = malloc(PATH_MAX);
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    int depth = 0;
    if (levels != NULL && prefix != NULL && dir != NULL)
        levels[depth++] = (struct level){.dir = dir, .prefix_length = 0};
    else if (dir != NULL)
        closedir(dir);
    else if (fd >= 0)
        close(fd);
    while (depth > 0) {
        struct level *top = &levels[depth - 1];
        struct dirent *entry = readdir(top->dir);
        if (entry == NULL) {
            closedir(top->dir);
            depth--;
            continue;
        }
        size_t name_length = strlen(entry->d_name);
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0 ||
            (!show_hidden && entry->d_name[0] == '.') ||
            top->prefix_length + name_length + 2 > PATH_MAX)
            continue;
        memcpy(prefix + top->prefix_length, entry->d_name, name_length + 1);
        cJSON *described = describe_entry(dirfd(top->dir), entry->d_name, prefix, user);
        if (described != NULL)
            cJSON_AddItemToArray(list, described);
        if (recursive && depth < LIST_DEPTH && entry->d_type == DT_DIR) {
            int child = openat(dirfd(top->dir), entry->d_name,
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            DIR *child_dir = child >= 0 ? fdopendir(child) : NULL;
            if (child_dir != NULL) {
                prefix[top->prefix_length + name_length] = '/';
                size_t child_length = top->prefix_length + name_length + 1;
                levels[depth++] = (struct level){.dir = child_dir, .prefix_length = child_length};
            } else if (child >= 0) {
                close(child);
            }
        }
    }
    free(prefix);
    free(levels);
}

/* GET /utilities/ls?targetPath=...&showhidden=...&recursive=... */
static int utility_ls(struct firecrest_call *call, const char *path)
{
    char flag[16];
    bool show_hidden = firecrest_param(call, "showhidden", flag, sizeof flag) && is_true(flag);
    bool recursive = firecrest_param(call, "recursive", flag, sizeof flag) && is_true(flag);
    int fd = sandbox_open(&call->sandbox, path, O_RDONLY | O_DIRECTORY, 0);
    if (fd == -ENOTDIR) { /* ls of a file lists the file itself */
        char name[NAME_MAX + 1];
        int parent = sandbox_open_parent(&call->sandbox, path, name, sizeof name);
        if (parent < 0)
            return path_error(call->conn, -parent, path);
        cJSON *list = cJSON_CreateArray();
        cJSON *entry = describe_entry(parent, name, name, call->user);
        close(parent);
        if (entry != NULL)
            cJSON_AddItemToArray(list, entry);
        return firecrest_output(call->conn, 200, "List of contents", list);
    }
    if (fd < 0)
        return path_error(call->conn, -fd, path);
    cJSON *list = cJSON_CreateArray();
    list_directory(fd, show_hidden, recursive, list, call->user);
    close(fd);
    return firecrest_output(call->conn, 200, "List of contents", list);
}

static int utility_mkdir(struct firecrest_call *call, const char *path)
{
    char flag[16];
    bool parents = firecrest_param(call, "p", flag, sizeof flag) && is_true(flag);
    int result;
    if (parents) {
        result = sandbox_make_directories(&call->sandbox, path);
    } else {
        char name[NAME_MAX + 1];
        int parent = sandbox_open_parent(&call->sandbox, path, name, sizeof name);
        result = parent < 0 ? parent : mkdirat(parent, name, 0755) == 0 ? 0 : -errno;
        if (parent >= 0)
            close(parent);
    }
    if (result == -EEXIST) {
        int existing = sandbox_open(&call->sandbox, path, O_PATH | O_DIRECTORY, 0);
        if (existing >= 0)
            close(existing);
        return firecrest_error(call->conn, 400, "X-Exists",
                               existing >= 0 ? "Directory already exists"
                                             : "A file of that name exists");
    }
    if (result < 0)
        return path_error(call->conn, -result, path);
    return firecrest_output(call->conn, 201, "Success create directory", cJSON_CreateString(""));
}

/* rename, copy and symlink take a second path; each is opened by its parent. */
static int two_path_operation(struct firecrest_call *call, const char *path, const char *operation)
{
    char source[PATH_MAX], source_name[NAME_MAX + 1], target_name[NAME_MAX + 1];
    bool is_symlink = strcmp(operation, "symlink") == 0;
    if (!firecrest_param(call, is_symlink ? "linkPath" : "sourcePath", source, sizeof source))
        return missing(call->conn, is_symlink ? "linkPath" : "sourcePath");
    const char *link_path = source, *target_path = path;
    if (is_symlink) { /* symlink targetPath linkPath: the link is made at linkPath */
        int target_fd = sandbox_open(&call->sandbox, target_path, O_PATH, 0);
        if (target_fd < 0)
            return path_error(call->conn, -target_fd, target_path);
        close(target_fd);
        /* Stored relative to the link's directory ("../a.txt"), never as the
         * client's absolute path: that would name a file of the host, not ours. */
        char *text = malloc(PATH_MAX);
        int made = text == NULL
                       ? -ENOMEM
                       : sandbox_link_text(&call->sandbox, link_path, target_path, text, PATH_MAX);
        int link_parent = made < 0 ? made
                                   : sandbox_open_parent(&call->sandbox, link_path, source_name,
                                                         sizeof source_name);
        if (link_parent < 0) {
            free(text);
            return path_error(call->conn, -link_parent, link_path);
        }
        made = symlinkat(text, link_parent, source_name) == 0 ? 0 : -errno;
        free(text);
        close(link_parent);
        if (made < 0)
            return path_error(call->conn, -made, link_path);
        return firecrest_output(call->conn, 201, "Success create the symlink",
                                cJSON_CreateString(""));
    }
    int from_parent = sandbox_open_parent(&call->sandbox, source, source_name, sizeof source_name);
    if (from_parent < 0)
        return path_error(call->conn, -from_parent, source);
    int to_parent = sandbox_open_parent(&call->sandbox, path, target_name, sizeof target_name);
    if (to_parent < 0) {
        close(from_parent);
        return path_error(call->conn, -to_parent, path);
    }
    int result =
        strcmp(operation, "rename") == 0
            ? (renameat(from_parent, source_name, to_parent, target_name) == 0 ? 0 : -errno)
            : sandbox_copy_tree(from_parent, source_name, to_parent, target_name);
    close(from_parent);
    close(to_parent);
    if (result < 0)
        return path_error(call->conn, -result, result == -ENOENT ? source : path);
    return strcmp(operation, "rename") == 0
               ? firecrest_output(call->conn, 200, "Success to rename file or directory.",
                                  cJSON_CreateString(""))
               : firecrest_output(call->conn, 201, "Object copied to target path",
                                  cJSON_CreateString(""));
}

static int utility_chmod(struct firecrest_call *call, const char *path)
{
    char mode_text[16];
    if (!firecrest_param(call, "mode", mode_text, sizeof mode_text))
        return firecrest_error(call->conn, 400, "X-Error", "Error: no mode set");
    char *end;
    long mode = strtol(mode_text, &end, 8);
    if (*end != '\0' || mode < 0 || mode > 07777)
        return firecrest_error(call->conn, 400, "X-Error", "mode must be octal, like 755");
    /* Open (never following a symlink out of the sandbox) and chmod the open file. */
    int fd = sandbox_open(&call->sandbox, path, O_RDONLY | O_NONBLOCK, 0);
    if (fd < 0)
        return path_error(call->conn, -fd, path);
    int result = fchmod(fd, (mode_t)mode) == 0 ? 0 : -errno;
    close(fd);
    if (result < 0)
        return path_error(call->conn, -result, path);
    return firecrest_output(call->conn, 200, "Success to chmod file or directory.",
                            cJSON_CreateString(""));
}

static int utility_rm(struct firecrest_call *call, const char *path)
{
    char name[NAME_MAX + 1];
    int parent = sandbox_open_parent(&call->sandbox, path, name, sizeof name);
    if (parent < 0)
        return path_error(call->conn, -parent, path);
    int result = sandbox_remove_tree(parent, name);
    close(parent);
    if (result < 0)
        return path_error(call->conn, -result, path);
    reply_headers(call->conn, 204, NULL, NULL, "0");
    return 204;
}

/* Read a whole regular file of at most `limit` bytes. Returns -errno or the length. */
static long read_file(const struct sandbox *sandbox, const char *path, long limit, char **bytes)
{
    int fd = sandbox_open(sandbox, path, O_RDONLY | O_NONBLOCK, 0);
    if (fd < 0)
        return fd;
    struct stat info;
    int kind = fstat(fd, &info) != 0    ? -errno
               : S_ISDIR(info.st_mode)  ? -EISDIR
               : !S_ISREG(info.st_mode) ? -EPERM
                                        : 0;
    if (kind < 0) {
        close(fd);
        return kind;
    }
    if (info.st_size > limit) {
        close(fd);
        return -EFBIG;
    }
    *bytes = malloc((size_t)info.st_size + 1);
    long length = 0;
    for (ssize_t got;
         *bytes != NULL && (got = read(fd, *bytes + length, (size_t)(info.st_size - length))) > 0;)
        length += got;
    close(fd);
    if (*bytes == NULL)
        return -ENOMEM;
    (*bytes)[length] = '\0';
    return length;
}

static int file_too_big(struct mg_connection *conn)
{
    return firecrest_error(conn, 400, "X-Size-Limit", "File exceeds the size limit (5 MB)");
}

/* view, checksum, download, head, tail, file: all start by reading the file. */
static int utility_read(struct firecrest_call *call, const char *path, const char *operation)
{
    char *bytes = NULL;
    long length = read_file(&call->sandbox, path, MAX_FILE_BYTES, &bytes);
    if (length == -EFBIG)
        return file_too_big(call->conn);
    if (length < 0)
        return path_error(call->conn, (int)-length, path);
    int status;
    if (strcmp(operation, "view") == 0) {
        status = firecrest_output(call->conn, 200, "File content successfully returned",
                                  cJSON_CreateString(bytes));
    } else if (strcmp(operation, "checksum") == 0) {
        unsigned char digest[32];
        unsigned int digest_length;
        EVP_Digest(bytes, (size_t)length, digest, &digest_length, EVP_sha256(), NULL);
        char hex[65];
        for (unsigned int i = 0; i < digest_length; i++)
            snprintf(hex + 2 * i, 3, "%02x", digest[i]);
        status = firecrest_output(call->conn, 200, "Checksum successfully retrieved",
                                  cJSON_CreateString(hex));
    } else if (strcmp(operation, "download") == 0) {
        char length_text[32];
        snprintf(length_text, sizeof length_text, "%ld", length);
        reply_headers(call->conn, 200, NULL, "application/octet-stream", length_text);
        mg_write(call->conn, bytes, (size_t)length);
        status = 200;
    } else if (strcmp(operation, "file") == 0) {
        const char *kind = length == 0                           ? "empty"
                           : memchr(bytes, '\0', (size_t)length) ? "data"
                                                                 : "ASCII text";
        status =
            firecrest_output(call->conn, 200, "Success to file command", cJSON_CreateString(kind));
    } else { /* head or tail: by lines (default 10) or by bytes */
        /* Every number the client sends is range-checked: bytes=-8 once made
         * `end` negative and wrote before the buffer. */
        char number[32];
        bool by_bytes = firecrest_param(call, "bytes", number, sizeof number);
        bool given = by_bytes || firecrest_param(call, "lines", number, sizeof number);
        long count = 10;
        if (given && !parse_whole_number(number, 0, MAX_FILE_BYTES, &count)) {
            free(bytes);
            return firecrest_error(call->conn, 400, "X-Error",
                                   "lines and bytes must be whole numbers from 0 to 5242880");
        }
        bool head = strcmp(operation, "head") == 0;
        long start = 0, end = length;
        if (by_bytes) {
            start = head ? 0 : (length > count ? length - count : 0);
            end = head ? (count < length ? count : length) : length;
        } else if (head) {
            long lines = 0;
            for (end = 0; end < length && lines < count; end++)
                lines += bytes[end] == '\n';
        } else {
            long lines = 0;
            for (start = length; start > 0; start--)
                if (bytes[start - 1] == '\n' && start != length && ++lines == count)
                    break;
        }
        bytes[end] = '\0';
        status = firecrest_output(call->conn, 200, "File content successfully returned",
                                  cJSON_CreateString(bytes + start));
    }
    free(bytes);
    return status;
}

static int utility_stat(struct firecrest_call *call, const char *path)
{
    char flag[16];
    bool dereference = firecrest_param(call, "dereference", flag, sizeof flag) && is_true(flag);
    struct stat info;
    int result;
    if (dereference) {
        int fd = sandbox_open(&call->sandbox, path, O_PATH, 0);
        result = fd < 0 ? fd : fstat(fd, &info) == 0 ? 0 : -errno;
        if (fd >= 0)
            close(fd);
    } else {
        char name[NAME_MAX + 1];
        int parent = sandbox_open_parent(&call->sandbox, path, name, sizeof name);
        result = parent < 0                                               ? parent
                 : fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? 0
                                                                          : -errno;
        if (parent >= 0)
            close(parent);
    }
    if (result < 0)
        return path_error(call->conn, -result, path);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "mode", info.st_mode);
    cJSON_AddNumberToObject(out, "ino", (double)info.st_ino);
    cJSON_AddNumberToObject(out, "dev", (double)info.st_dev);
    cJSON_AddNumberToObject(out, "nlink", (double)info.st_nlink);
    cJSON_AddNumberToObject(out, "uid", info.st_uid);
    cJSON_AddNumberToObject(out, "gid", info.st_gid);
    cJSON_AddNumberToObject(out, "size", (double)info.st_size);
    cJSON_AddNumberToObject(out, "atime", (double)info.st_atime);
    cJSON_AddNumberToObject(out, "mtime", (double)info.st_mtime);
    cJSON_AddNumberToObject(out, "ctime", (double)info.st_ctime);
    return firecrest_output(call->conn, 200, "Stat command successfully returned", out);
}

static int utility_whoami(struct firecrest_call *call)
{
    char flag[16];
    if (!(firecrest_param(call, "groups", flag, sizeof flag) && is_true(flag)))
        return firecrest_output(call->conn, 200, "Success to whoami command",
                                cJSON_CreateString(call->user));
    cJSON *out = cJSON_CreateObject();
    cJSON *user = cJSON_AddObjectToObject(out, "user");
    cJSON_AddStringToObject(user, "name", call->user);
    cJSON_AddStringToObject(user, "id", "1000");
    cJSON *group = cJSON_AddObjectToObject(out, "group");
    cJSON_AddStringToObject(group, "name", call->user);
    cJSON_AddStringToObject(group, "id", "1000");
    cJSON *groups = cJSON_AddArrayToObject(out, "groups");
    cJSON_AddItemToArray(groups, cJSON_Duplicate(group, true));
    return firecrest_output(call->conn, 200, "Success to whoami command", out);
}

/* --- POST /utilities/upload: multipart "file", form "targetPath" (a directory) ---
 *
 * The bytes go to a hidden temporary file beside the target, renamed over it only
 * once the whole file has arrived within the limit: a refused or broken upload
 * leaves the old file as it was, and no half-written one. */

struct upload {
    struct firecrest_call *call;
    struct multipart_field field;
    char target_directory[PATH_MAX];
    int directory_fd;        /* the target directory, once known */
    char name[NAME_MAX + 1]; /* the file's name in it */
    char temporary[64];      /* the name it is written under meanwhile */
    int fd;
    long bytes;
    int error; /* errno, or EFBIG */
};

/* A file name the client may choose: clean text, one component, not . or .. */
static bool is_file_name(const char *name)
{
    size_t length = strlen(name);
    return length > 0 && length <= NAME_MAX && firecrest_is_clean_text(name, length) &&
           strchr(name, '/') == NULL && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* civetweb calls this for each field of the multipart form, before its data. */
static int on_form_field(const char *key, const char *filename, char *path, size_t path_size,
                         void *upload_ptr)
{
    (void)path;
    (void)path_size;
    struct upload *upload = upload_ptr;
    if (strcmp(key, "file") == 0 && filename != NULL && filename[0] != '\0' && upload->fd < 0 &&
        upload->error == 0) {
        if (upload->target_directory[0] == '\0' || !is_file_name(filename)) {
            upload->error = upload->target_directory[0] == '\0' ? EINVAL : EPERM;
            return MG_FORM_FIELD_STORAGE_ABORT;
        }
        snprintf(upload->name, sizeof upload->name, "%s", filename);
        upload->directory_fd = sandbox_open(&upload->call->sandbox, upload->target_directory,
                                            O_RDONLY | O_DIRECTORY, 0);
        if (upload->directory_fd < 0) {
            upload->error = -upload->directory_fd;
            return MG_FORM_FIELD_STORAGE_ABORT;
        }
        upload->fd = sandbox_create_temporary(upload->directory_fd, upload->temporary,
                                              sizeof upload->temporary);
        if (upload->fd < 0) {
            upload->error = -upload->fd;
            return MG_FORM_FIELD_STORAGE_ABORT;
        }
    }
    return MG_FORM_FIELD_STORAGE_GET;
}

/* civetweb calls this with each piece of a field's data (see multipart.h). */
static int on_form_data(const char *key, const char *value, size_t length, void *upload_ptr)
{
    struct upload *upload = upload_ptr;
    const char *field = multipart_field_name(&upload->field, key);
    if (strcmp(field, "targetPath") == 0 && upload->target_directory[0] == '\0') {
        if (length >= sizeof upload->target_directory || !firecrest_is_clean_text(value, length))
            upload->error = EINVAL;
        else
            memcpy(upload->target_directory, value, length);
    } else if (strcmp(field, "file") == 0 && upload->fd >= 0) {
        upload->bytes += (long)length;
        if (upload->bytes > MAX_FILE_BYTES)
            upload->error = EFBIG;
        else if (write(upload->fd, value, length) != (ssize_t)length)
            upload->error = errno != 0 ? errno : EIO;
    }
    return upload->error == 0 ? MG_FORM_FIELD_HANDLE_GET : MG_FORM_FIELD_HANDLE_ABORT;
}

static int utility_upload(struct firecrest_call *call)
{
    /* Room for the multipart framing around the largest file we take. */
    if (!firecrest_accept_body(call->conn, MAX_FILE_BYTES + 64 * 1024))
        return 413;
    struct upload upload = {.call = call, .fd = -1, .directory_fd = -1};
    struct mg_form_data_handler handler = {
        .field_found = on_form_field, .field_get = on_form_data, .user_data = &upload};
    int fields = multipart_read_form(call->conn, &handler);
    if (upload.fd >= 0) {
        close(upload.fd);
        int directory = upload.directory_fd;
        if (upload.error == 0 && renameat(directory, upload.temporary, directory, upload.name) != 0)
            upload.error = errno;
        if (upload.error != 0)
            unlinkat(upload.directory_fd, upload.temporary, 0);
    }
    if (upload.directory_fd >= 0)
        close(upload.directory_fd);
    if (upload.error == EFBIG)
        return firecrest_error(call->conn, 413, "X-Size-Limit",
                               "File exceeds the size limit (5 MB)");
    if (upload.error != 0)
        return path_error(call->conn, upload.error, upload.target_directory);
    if (fields <= 0 || upload.fd < 0)
        return firecrest_error(call->conn, 400, "X-Error",
                               "expected multipart form with 'file' and 'targetPath'");
    return firecrest_output(call->conn, 201, "File upload successful", cJSON_CreateString(""));
}

/* --- the dispatcher: /utilities/<operation> ----------------------------------- */

static int on_utilities(struct mg_connection *conn, void *firecrest_ptr)
{
    const struct mg_request_info *request = mg_get_request_info(conn);
    const char *operation = request->local_uri + strlen("/utilities/");
    static const struct {
        const char *name, *method, *path_parameter;
    } operations[] = {
        {"ls", "GET", "targetPath"},       {"mkdir", "POST", "targetPath"},
        {"rename", "PUT", "targetPath"},   {"copy", "POST", "targetPath"},
        {"chmod", "PUT", "targetPath"},    {"symlink", "POST", "targetPath"},
        {"rm", "DELETE", "targetPath"},    {"file", "GET", "targetPath"},
        {"stat", "GET", "targetPath"},     {"head", "GET", "targetPath"},
        {"tail", "GET", "targetPath"},     {"view", "GET", "targetPath"},
        {"checksum", "GET", "targetPath"}, {"download", "GET", "sourcePath"},
        {"upload", "POST", NULL},          {"whoami", "GET", NULL},
    };
    int found = -1;
    for (size_t i = 0; i < sizeof operations / sizeof operations[0]; i++)
        if (strcmp(operation, operations[i].name) == 0)
            found = (int)i;
    if (found < 0)
        return json_error(conn, 404, "no such /utilities endpoint", NULL);
    if (strcmp(request->request_method, operations[found].method) != 0)
        return json_error(conn, 405, "wrong method for this endpoint",
                          (const char *const[]){"Allow", operations[found].method, NULL});

    struct firecrest_call call;
    bool is_upload = strcmp(operation, "upload") == 0;
    /* An upload's body is multipart: civetweb's form parser reads it, not begin(). */
    if (!firecrest_call_begin(&call, conn, firecrest_ptr, SERVICE_UTILITIES,
                              NEEDS_SYSTEM | (is_upload ? KEEP_BODY : 0)))
        return call.status;
    int status;
    char path[PATH_MAX];
    const char *parameter = operations[found].path_parameter;
    if (parameter != NULL && !firecrest_param(&call, parameter, path, sizeof path))
        status = missing(conn, parameter);
    else if (strcmp(operation, "ls") == 0)
        status = utility_ls(&call, path);
    else if (strcmp(operation, "mkdir") == 0)
        status = utility_mkdir(&call, path);
    else if (strcmp(operation, "rename") == 0 || strcmp(operation, "copy") == 0 ||
             strcmp(operation, "symlink") == 0)
        status = two_path_operation(&call, path, operation);
    else if (strcmp(operation, "chmod") == 0)
        status = utility_chmod(&call, path);
    else if (strcmp(operation, "rm") == 0)
        status = utility_rm(&call, path);
    else if (strcmp(operation, "stat") == 0)
        status = utility_stat(&call, path);
    else if (strcmp(operation, "whoami") == 0)
        status = utility_whoami(&call);
    else if (is_upload)
        status = utility_upload(&call);
    else
        status = utility_read(&call, path, operation);
    firecrest_call_end(&call);
    return status;
}

void firecrest_utilities_register(struct mg_context *context, struct firecrest *firecrest)
{
    mg_set_request_handler(context, "/utilities/**", on_utilities, firecrest);
}
