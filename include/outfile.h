/*
 * Report files (--json, --failed) written whole or not at all: the file
 * is created as a temp file beside FILE when the run starts, so that a
 * FILE that cannot be written is an error before anything is sent, and
 * renamed onto FILE when the report is complete.  "-" is stdout, and a
 * FILE that exists and is not a regular file (/dev/stdout, a FIFO) is
 * written in place.  A FILE that is a symlink stays one: the temp file
 * goes beside the file it points to (or would, when it dangles), in
 * that directory's real path, and replaces that file.
 */
#ifndef FANSCP_OUTFILE_H
#define FANSCP_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

struct outfile {
	char	*path;		/* FILE, or where its symlinks lead */
	char	*tmp;		/* the temp file; NULL when in place */
	FILE	*f;		/* where the report goes */
};

/*
 * Open FILE for a report (see above).  Returns 0, or -1 with a message
 * in err.
 */
int	outfile_open(struct outfile *o, const char *path, char *err,
	    size_t errlen);
/*
 * Flush, close and rename the temp file onto FILE.  Returns 0, or -1
 * with a message in err (the temp file is then removed).
 */
int	outfile_commit(struct outfile *o, char *err, size_t errlen);
/*
 * Remove every temp file still open: async-signal-safe, for a second
 * Ctrl-C that leaves at once.
 */
void	outfile_unlink_all(void);

#endif
