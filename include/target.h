/*
 * Targets: where the file goes.  A command-line TARGET is
 * [user@]host:[path] (host may be a nodeset or a bracketed IPv6 address)
 * or scp://[user@]host[:port][/path]; a host file (-h) adds
 * [user@]host[:port] lines (or pssh's "host[:port] [user]") whose path
 * comes from a lone ":path" target, and scp:// lines with their own.
 * Each host named becomes one struct target.
 */
#ifndef FANSCP_TARGET_H
#define FANSCP_TARGET_H

#include <stddef.h>

struct target {
	char	*user;		/* NULL: from ssh_config or the local user */
	char	*host;		/* the name as given, brackets removed */
	int	 port;		/* 0: from ssh_config, else 22 */
	char	*path;		/* remote path as given; "" is the home dir */
};

struct target_list {
	struct target	*v;
	size_t		 n;
	size_t		 cap;
	size_t		 bytes;		/* what the targets' strings hold */
};

/*
 * The most hosts all targets and host files may name, and the most bytes
 * their names, users and paths may take: past these, a typo in a nodeset
 * is an error rather than gigabytes of memory.
 */
#define TARGET_MAX		1000000
#define TARGET_MAX_BYTES	(256 * 1024 * 1024)

/*
 * Parse one TARGET argument and append one target per host it names.
 * Returns 0, or -1 with a message in err (the list is then unchanged).
 */
int	target_parse(const char *arg, struct target_list *list, char *err,
	    size_t errlen);
/*
 * The same under --exec, where there is no path: [user@]host[:port],
 * host: or scp://[user@]host[:port] (host may be a nodeset or a bracketed
 * IPv6 address).  A path is an error.
 */
int	target_parse_exec(const char *arg, struct target_list *list,
	    char *err, size_t errlen);
/*
 * Is arg a lone ":path" target, which gives the path for host-file hosts?
 * If so, *path points into arg after the colon.
 */
int	target_is_lone_path(const char *arg, const char **path);
/*
 * Read a host file: one [user@]host[:port], pssh's "host[:port] [user]" or
 * an scp://[user@]host[:port][/path] URI per line (host may be a nodeset or
 * a bracketed IPv6 address), blank lines and '#' comments ignored.
 * Appends one target per host, with the URI's own path, else a copy of
 * path.
 * Returns 0, or -1 with "file:line: reason" in err (the list is then
 * unchanged).
 */
int	hostfile_load(const char *file, const char *path,
	    struct target_list *list, char *err, size_t errlen);
/* Parse host-file text already in memory (what hostfile_load reads). */
int	hostfile_parse(const char *text, size_t len, const char *name,
	    const char *path, struct target_list *list, char *err,
	    size_t errlen);
/*
 * t as an scp:// URI, xmalloc'd: what --failed writes, and what
 * target_parse() and a host file read back into exactly t (user and path
 * percent-encoded, an IPv6 address in brackets, no port if t has none).
 */
char	*target_uri(const struct target *t);
/*
 * Is arg a target rather than a local path, as scp tells them: an
 * scp:// URI, or a ':' before any '/' (outside brackets)?  A lone ":path"
 * is one; "-" and "dir/a:b" are not.
 */
int	target_is_remote(const char *arg);
/* Append a copy of t to list. */
void	target_list_add(struct target_list *list, const struct target *t);
/* Free every target and the array; the list is empty afterwards. */
void	target_list_release(struct target_list *list);

#endif
