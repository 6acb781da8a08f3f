/*
 * reap: run one command and measure its whole process tree.
 *
 *   reap OUTFILE TIMEOUT_S command [arg...]
 *
 * It makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so
 * every descendant, even one whose parent exited first (the `tee >(ssh …)`
 * idiom leaves its ssh processes behind), is reparented to it, reaped by it,
 * and has its rusage added to its RUSAGE_CHILDREN.  It waits until the
 * last descendant has exited, then writes one line to OUTFILE:
 *
 *   wall_s user_s sys_s maxrss_kb sumrss_kb maxprocs rc
 *
 *   wall_s     from fork until the last descendant was reaped
 *   user/sys   getrusage(RUSAGE_CHILDREN): every descendant, all levels
 *   maxrss_kb  ru_maxrss of RUSAGE_CHILDREN: the peak RSS of the biggest
 *              single descendant
 *   sumrss_kb  the peak over time of the sum of the RSS of all live
 *              descendants, sampled from /proc every 100 ms (shared pages
 *              are counted once per process)
 *   maxprocs   the most descendants alive at one sample
 *   rc         the command's exit status, 128+N if killed by signal N,
 *              124 if the timeout killed the tree
 *
 * The sampling reads /proc/N/stat of every process on the machine; its
 * CPU is the reaper's own and is not in RUSAGE_CHILDREN.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXP 65536
#define SAMPLE_NS 100000000L

static int ppid_of[MAXP];
static long rss_of[MAXP];
static unsigned char mark[MAXP];
static long pagekb;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Scan /proc: sum the RSS of our live descendants; with kill, SIGKILL
 * them.  Returns the number of descendants, *sum their RSS in kB. */
static int scan(pid_t self, long *sum, int kill_them)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int pids[MAXP], n = 0, count = 0, changed;

	*sum = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[64], buf[1024], *p;
		long pid = strtol(e->d_name, &p, 10);
		ssize_t r;
		int fd, ppid = 0;
		long rss = 0;

		if (*p || pid <= 0 || pid >= MAXP)
			continue;
		snprintf(path, sizeof path, "/proc/%ld/stat", pid);
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		r = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = 0;
		if (!(p = strrchr(buf, ')')))
			continue;
		/* ") state ppid pgrp session tty tpgid flags minflt cminflt
		 *  majflt cmajflt utime stime cutime cstime prio nice threads
		 *  itreal starttime vsize rss" */
		{
			char st;
			long f[22];
			if (sscanf(p + 2, "%c %d %ld %ld %ld %ld %ld %ld %ld %ld %ld"
			    " %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld", &st,
			    &ppid, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6],
			    &f[7], &f[8], &f[9], &f[10], &f[11], &f[12], &f[13],
			    &f[14], &f[15], &f[16], &f[17], &f[18], &f[19]) < 22)
				continue;
			rss = f[19];
			if (st == 'Z')
				rss = 0;
		}
		ppid_of[pid] = ppid;
		rss_of[pid] = rss;
		mark[pid] = 0;
		pids[n++] = (int)pid;
	}
	closedir(d);
	/* Mark descendants of self until nothing changes (the tree is small). */
	do {
		changed = 0;
		for (int i = 0; i < n; i++) {
			int q = pids[i], pp = ppid_of[q];
			if (mark[q])
				continue;
			if (pp == self || (pp > 0 && pp < MAXP && mark[pp])) {
				mark[q] = 1;
				changed = 1;
			}
		}
	} while (changed);
	for (int i = 0; i < n; i++) {
		int q = pids[i];
		if (!mark[q])
			continue;
		count++;
		*sum += rss_of[q] * pagekb;
		if (kill_them)
			kill(q, SIGKILL);
	}
	return count;
}

int main(int argc, char **argv)
{
	sigset_t chld, old;
	pid_t self = getpid(), kid;
	double t0, t1, deadline;
	int rc = -1, timed_out = 0, maxprocs = 0, st;
	long sum, maxsum = 0;
	struct rusage ru;
	FILE *out;

	if (argc < 4) {
		fprintf(stderr, "usage: reap OUTFILE TIMEOUT_S command [arg...]\n");
		return 2;
	}
	pagekb = sysconf(_SC_PAGESIZE) / 1024;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		perror("reap: prctl");
		return 2;
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	t0 = now();
	deadline = t0 + atof(argv[2]);
	kid = fork();
	if (kid < 0) {
		perror("reap: fork");
		return 2;
	}
	if (kid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	t1 = t0;
	for (;;) {
		pid_t w;
		int n;
		struct timespec ts = { 0, SAMPLE_NS };

		while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
			t1 = now();
			if (w == kid)
				rc = WIFEXITED(st) ? WEXITSTATUS(st)
				    : 128 + WTERMSIG(st);
		}
		if (w < 0 && errno == ECHILD)
			break;
		n = scan(self, &sum, 0);
		if (n > maxprocs)
			maxprocs = n;
		if (sum > maxsum)
			maxsum = sum;
		if (now() > deadline && !timed_out) {
			timed_out = 1;
			scan(self, &sum, 1);
		}
		sigtimedwait(&chld, NULL, &ts);
	}
	getrusage(RUSAGE_CHILDREN, &ru);
	if (timed_out)
		rc = 124;
	if (!(out = fopen(argv[1], "w"))) {
		perror(argv[1]);
		return 2;
	}
	fprintf(out, "%.3f %.3f %.3f %ld %ld %d %d\n", t1 - t0,
	    ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	    ru.ru_maxrss, maxsum, maxprocs, rc);
	fclose(out);
	return rc == 0 ? 0 : 1;
}
