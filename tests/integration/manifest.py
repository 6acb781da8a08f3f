#!/usr/bin/env python3
"""manifest.py DIR [--umask OCT] [--mtime] [--skip-root]

Print one line per entry under DIR, sorted, for comparing two trees entry
by entry: the name (as a Python bytes literal, so newlines and odd bytes
show), the type, the permission bits (less --umask: what tar gives them
without -p), and for a file its size and SHA-256, for a symlink its target,
and with --mtime the modification time (not for symlinks).  The root is the
entry "." unless --skip-root.
"""
import hashlib
import os
import stat
import sys


def line(path, rel, umask, mtime):
    st = os.lstat(path)
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        return "%r link %r" % (rel, os.readlink(path))
    mode &= ~umask
    if stat.S_ISDIR(st.st_mode):
        out = "%r dir %o" % (rel, mode)
    elif stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        out = "%r file %o %d %s" % (rel, mode, st.st_size, digest)
    else:
        out = "%r other %o" % (rel, mode)
    if mtime:
        out += " mtime=%d" % int(st.st_mtime)
    return out


def main(argv):
    root = os.fsencode(argv[1])
    umask = int(argv[argv.index("--umask") + 1], 8) if "--umask" in argv else 0
    mtime = "--mtime" in argv
    lines = []
    if "--skip-root" not in argv:
        lines.append(line(root, b".", umask, mtime))
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(top, name)
            lines.append(line(path, os.path.relpath(path, root), umask,
                              mtime))
    for entry in sorted(lines):
        print(entry)


if __name__ == "__main__":
    main(sys.argv)
