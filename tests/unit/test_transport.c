/*
 * Tests for the choice of client: each reason a host needs OpenSSH's ssh
 * (ProxyCommand, a live ControlMaster, CertificateFile, a certificate
 * beside an identity, sk- keys named or default, PKCS11Provider, GSSAPI
 * with credentials), their order, none for a plain host; the ControlPath
 * expansion (%C as ssh computes it, every token, ~, ${VAR}, unknown
 * tokens); and the real environment's probes (key types from .pub files
 * and from private keys, hostile key files, live and stale sockets).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sshconf.h"
#include "transport.h"

void	transport_conn_hash(const char *, const char *, int, const char *,
	    char [41]);
void	transport_private_type(const char *, size_t, char *, size_t);
int	transport_agent_reply_has_cert(const unsigned char *, size_t);

/* The fake world: files that exist, sockets that answer, key types. */
static const char *files[8];
static const char *sockets[4];
static const char *sk_paths[4];

static int
in(const char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] != NULL && strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static int
fake_exists(const char *path, void *arg)
{
	(void)arg;
	return in(files, 8, path);
}

static int
fake_live(const char *path, void *arg)
{
	(void)arg;
	return in(sockets, 4, path);
}

static void
fake_type(const char *path, char *type, size_t len, void *arg)
{
	(void)arg;
	snprintf(type, len, "%s", in(sk_paths, 4, path) ?
	    "sk-ssh-ed25519@openssh.com" : "ssh-ed25519");
}

static struct transport_env env;
static struct hostcfg cfg;
static char *ids[] = { "/h/.ssh/id_ed25519", "/h/.ssh/work" };
static struct transport_host host;

static int
setup(void **state)
{
	(void)state;
	memset(files, 0, sizeof(files));
	memset(sockets, 0, sizeof(sockets));
	memset(sk_paths, 0, sizeof(sk_paths));
	memset(&env, 0, sizeof(env));
	env.home = "/h";
	env.luser = "me";
	snprintf(env.lhost, sizeof(env.lhost), "vm");
	env.uid = 1000;
	env.exists = fake_exists;
	env.live_socket = fake_live;
	env.key_type = fake_type;
	memset(&cfg, 0, sizeof(cfg));
	cfg.gssapi_auth = -1;
	cfg.control_master = -1;
	memset(&host, 0, sizeof(host));
	host.cfg = &cfg;
	host.alias = "web1";
	host.hostname = "example.org";
	host.user = "someuser";
	host.port = 2222;
	host.ids = ids;
	host.nids = 2;
	return 0;
}

static enum transport_reason
decide(char *why, size_t len)
{
	return transport_needs_ssh(&host, &env, why, len);
}

static void
test_plain(void **state)
{
	char why[128] = "x";

	(void)state;
	assert_int_equal(decide(why, sizeof(why)), TR_NONE);
	assert_string_equal(why, "");
	/* Debian's GSSAPIAuthentication yes, without a ticket: no reason. */
	cfg.gssapi_auth = 1;
	assert_int_equal(decide(why, sizeof(why)), TR_NONE);
	/* A ControlPath with nothing listening. */
	cfg.control_path = "~/.ssh/cm-%C";
	assert_int_equal(decide(why, sizeof(why)), TR_NONE);
}

static void
test_reasons(void **state)
{
	char why[256];

	(void)state;
	env.krb5_creds = 1;
	cfg.gssapi_auth = 1;
	assert_int_equal(decide(why, sizeof(why)), TR_GSSAPI);
	assert_string_equal(why, "GSSAPIAuthentication, with Kerberos "
	    "credentials");
	cfg.pkcs11_provider = "/usr/lib/p11-kit-proxy.so";
	assert_int_equal(decide(why, sizeof(why)), TR_PKCS11);
	assert_string_equal(why, "PKCS11Provider is set");
	sk_paths[0] = "/h/.ssh/work";
	assert_int_equal(decide(why, sizeof(why)), TR_SK_KEY);
	assert_string_equal(why, "an sk- key (work)");
	files[0] = "/h/.ssh/id_ed25519-cert.pub";
	assert_int_equal(decide(why, sizeof(why)), TR_CERT_BESIDE);
	assert_string_equal(why, "an id_ed25519-cert.pub beside the identity");
	cfg.certificate_file = "/h/.ssh/ca-signed.pub";
	assert_int_equal(decide(why, sizeof(why)), TR_CERTIFICATEFILE);
	assert_string_equal(why, "CertificateFile is set");
	cfg.control_path = "/run/cm-%r@%h:%p";
	sockets[0] = "/run/cm-someuser@example.org:2222";
	assert_int_equal(decide(why, sizeof(why)), TR_CONTROLMASTER);
	assert_string_equal(why, "a live ControlMaster at "
	    "/run/cm-someuser@example.org:2222");
	cfg.proxy_command = "nc %h %p";
	assert_int_equal(decide(why, sizeof(why)), TR_PROXYCOMMAND);
	assert_string_equal(why, "ProxyCommand is set");
	/* A small buffer is not overrun. */
	assert_int_equal(transport_needs_ssh(&host, &env, why, 4),
	    TR_PROXYCOMMAND);
	assert_string_equal(why, "Pro");
}

/* Ciphers, MACs, KexAlgorithms: only an empty intersection needs ssh. */
static void
test_algs(void **state)
{
	char why[512];

	(void)state;
	env.algs[ALG_CIPHER] = "aes128-ctr,aes256-ctr";
	env.algs[ALG_MAC] = "hmac-sha2-256";
	env.algs[ALG_KEX] = "curve25519-sha256";
	cfg.ciphers = "aes256-ctr,chacha20-poly1305@openssh.com";
	cfg.macs = "+hmac-sha1";
	cfg.kex_algorithms = "-diffie-hellman-*";
	assert_int_equal(decide(why, sizeof(why)), TR_NONE);
	cfg.kex_algorithms = "-curve25519-sha256";
	assert_int_equal(decide(why, sizeof(why)), TR_ALGS);
	assert_string_equal(why, "KexAlgorithms -curve25519-sha256 leaves "
	    "nothing libssh2 1.10 supports (it offers curve25519-sha256)");
	cfg.kex_algorithms = NULL;
	cfg.ciphers = "chacha20-poly1305@openssh.com";
	assert_int_equal(decide(why, sizeof(why)), TR_ALGS);
	/* ProxyCommand comes first. */
	cfg.proxy_command = "nc %h %p";
	assert_int_equal(decide(why, sizeof(why)), TR_PROXYCOMMAND);
}

/* ssh loads "ID-cert" as well as "ID-cert.pub". */
static void
test_cert_beside(void **state)
{
	char why[128];

	(void)state;
	files[0] = "/h/.ssh/work-cert";
	assert_int_equal(decide(why, sizeof(why)), TR_CERT_BESIDE);
	assert_string_equal(why, "a work-cert beside the identity");
	files[0] = "/h/.ssh/work-cert.pub.old";
	assert_int_equal(decide(why, sizeof(why)), TR_NONE);
}

/* ssh's default identities include the FIDO ones; fanscp's do not. */
static void
test_sk_defaults(void **state)
{
	char why[128];

	(void)state;
	files[0] = "/h/.ssh/id_ed25519_sk";
	assert_int_equal(decide(why, sizeof(why)), TR_NONE);
	host.ids_default = 1;
	assert_int_equal(decide(why, sizeof(why)), TR_SK_KEY);
	assert_string_equal(why, "an sk- key (id_ed25519_sk)");
	files[0] = "/h/.ssh/id_ecdsa_sk";
	assert_int_equal(decide(why, sizeof(why)), TR_SK_KEY);
	assert_string_equal(why, "an sk- key (id_ecdsa_sk)");
}

/* A master only reused: ControlMaster yes or ask makes ssh one instead. */
static void
test_control_master(void **state)
{
	static const struct {
		int	cm;
		int	reuse;
	} cases[] = { { -1, 1 }, { CM_NO, 1 }, { CM_AUTO, 1 },
	    { CM_AUTOASK, 1 }, { CM_YES, 0 }, { CM_ASK, 0 } };
	char why[256];
	size_t i;

	(void)state;
	cfg.control_path = "~/.ssh/cm-%C";
	sockets[0] = "/h/.ssh/cm-2e6cb85b2fb7ce6b88f2d6b36f484802482da100";
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg.control_master = cases[i].cm;
		assert_int_equal(decide(why, sizeof(why)),
		    cases[i].reuse ? TR_CONTROLMASTER : TR_NONE);
	}
}

static void
expect_path(const char *cp, const char *want)
{
	char *got;

	cfg.control_path = (char *)(uintptr_t)cp;
	got = transport_control_path(&host, &env);
	if (want == NULL) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_control_path(void **state)
{
	char hash[41];

	(void)state;
	/* As "ssh -G" printed it on a host called vm. */
	transport_conn_hash("vm", "example.org", 2222, "someuser", hash);
	assert_string_equal(hash, "2e6cb85b2fb7ce6b88f2d6b36f484802482da100");
	snprintf(env.lhost, sizeof(env.lhost), "vm.lab.example");
	expect_path("%%-%d-%h-%i-%k-%L-%l-%n-%p-%r-%u",
	    "%-/h-example.org-1000-web1-vm-vm.lab.example-web1-2222-"
	    "someuser-me");
	cfg.host_key_alias = "alias";
	expect_path("%k", "alias");
	expect_path("~", "/h");
	expect_path("~/x/%n", "/h/x/web1");
	expect_path("~root/x", NULL);
	expect_path("/x/%z", NULL);
	expect_path("/x/%", NULL);
	setenv("FANSCP_TEST_CP", "/run/u", 1);
	expect_path("${FANSCP_TEST_CP}/%n", "/run/u/web1");
	expect_path("${FANSCP_TEST_UNSET_VAR}/x", NULL);
	expect_path("${unterminated", "${unterminated");
	cfg.control_path = NULL;
	assert_null(transport_control_path(&host, &env));
}

/* An OpenSSH private key whose public part has type type (len bytes). */
static char *
private_key(const char *type, size_t cut)
{
	unsigned char bin[512], b64[1024];
	size_t o = 0, tl = strlen(type);
	char *text;
	int n;

	memcpy(bin, "openssh-key-v1", 15);
	o = 15;
#define PUT32(v) do { uint32_t v_ = (uint32_t)(v); bin[o++] = v_ >> 24; \
	bin[o++] = v_ >> 16 & 255; bin[o++] = v_ >> 8 & 255; \
	bin[o++] = v_ & 255; } while (0)
	PUT32(4); memcpy(bin + o, "none", 4); o += 4;
	PUT32(4); memcpy(bin + o, "none", 4); o += 4;
	PUT32(0);
	PUT32(1);
	PUT32(4 + tl + 4 + 32);
	PUT32(tl); memcpy(bin + o, type, tl); o += tl;
	PUT32(32); memset(bin + o, 7, 32); o += 32;
#undef PUT32
	if (cut > 0 && cut < o)
		o = cut;
	n = EVP_EncodeBlock(b64, bin, (int)o);
	assert_true(asprintf(&text, "-----BEGIN OPENSSH PRIVATE KEY-----\n"
	    "%.*s\n%s\n-----END OPENSSH PRIVATE KEY-----\n", n > 70 ? 70 : n,
	    b64, n > 70 ? (char *)b64 + 70 : "") > 0);
	return text;
}

static void
test_private_type(void **state)
{
	char type[64], *k;
	size_t cut;

	(void)state;
	k = private_key("sk-ssh-ed25519@openssh.com", 0);
	transport_private_type(k, strlen(k), type, sizeof(type));
	assert_string_equal(type, "sk-ssh-ed25519@openssh.com");
	free(k);
	/* Every truncation gives nothing, or the whole type. */
	for (cut = 1; cut < 100; cut++) {
		k = private_key("ssh-ed25519", cut);
		transport_private_type(k, strlen(k), type, sizeof(type));
		assert_true(type[0] == '\0' ||
		    strcmp(type, "ssh-ed25519") == 0);
		free(k);
	}
	/* A type longer than the buffer, a PEM key, garbage. */
	k = private_key("sk-ecdsa-sha2-nistp256@openssh.com", 0);
	transport_private_type(k, strlen(k), type, 8);
	assert_string_equal(type, "");
	free(k);
	k = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n";
	transport_private_type(k, strlen(k), type, sizeof(type));
	assert_string_equal(type, "");
	k = "-----BEGIN OPENSSH PRIVATE KEY-----\n!!!!\n";
	transport_private_type(k, strlen(k), type, sizeof(type));
	assert_string_equal(type, "");
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The real probes, on real files and sockets. */
static void
test_real_env(void **state)
{
	char dir[] = "/tmp/fanscp-transport-XXXXXX", p[96], type[64], *k;
	struct sockaddr_un sun;
	struct transport_env e;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	transport_env_init(&e);
	assert_non_null(e.home);
	assert_int_equal(e.uid, (unsigned long)getuid());
	snprintf(p, sizeof(p), "%s/key", dir);
	assert_int_equal(e.exists(p, e.arg), 0);
	e.key_type(p, type, sizeof(type), e.arg);
	assert_string_equal(type, "");
	k = private_key("sk-ecdsa-sha2-nistp256@openssh.com", 0);
	write_text(p, k);
	free(k);
	assert_int_equal(e.exists(p, e.arg), 1);
	assert_int_equal(e.exists(dir, e.arg), 0);
	e.key_type(p, type, sizeof(type), e.arg);
	assert_string_equal(type, "sk-ecdsa-sha2-nistp256@openssh.com");
	snprintf(p, sizeof(p), "%s/key.pub", dir);
	write_text(p, "sk-ssh-ed25519@openssh.com AAAA me@there\n");
	snprintf(p, sizeof(p), "%s/key", dir);
	e.key_type(p, type, sizeof(type), e.arg);
	assert_string_equal(type, "sk-ssh-ed25519@openssh.com");

	/* A listening socket is live; once closed, its file is stale. */
	snprintf(p, sizeof(p), "%s/sock", dir);
	assert_int_equal(e.live_socket(p, e.arg), 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", p);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(e.live_socket(p, e.arg), 1);
	close(fd);
	assert_int_equal(e.live_socket(p, e.arg), 0);
	unlink(p);
	snprintf(p, sizeof(p), "%s/key.pub", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/key", dir);
	unlink(p);
	rmdir(dir);
}

static const char *agent_with_cert;	/* the fake agent's socket */

static int
fake_agent_cert(const char *sock, void *arg)
{
	(void)arg;
	return agent_with_cert != NULL && strcmp(sock, agent_with_cert) == 0;
}

/*
 * A certificate in the agent: SSH_AUTH_SOCK's, or IdentityAgent's; not
 * under IdentitiesOnly (ssh then offers only the configured ones), nor
 * with IdentityAgent none.
 */
static void
test_agent_cert(void **state)
{
	char why[256];

	(void)state;
	env.agent_cert = fake_agent_cert;
	agent_with_cert = "/run/agent.sock";
	assert_int_equal(decide(why, sizeof(why)), TR_NONE);	/* no agent */
	env.auth_sock = "/run/agent.sock";
	assert_int_equal(decide(why, sizeof(why)), TR_AGENT_CERT);
	assert_string_equal(why, "a certificate in the agent at "
	    "/run/agent.sock");
	cfg.identities_only = 1;
	assert_int_equal(decide(why, sizeof(why)), TR_NONE);
	cfg.identities_only = 0;
	cfg.identity_agent = "none";
	assert_int_equal(decide(why, sizeof(why)), TR_NONE);
	cfg.identity_agent = "/run/other.sock";
	assert_int_equal(decide(why, sizeof(why)), TR_NONE);
	agent_with_cert = "/run/other.sock";
	assert_int_equal(decide(why, sizeof(why)), TR_AGENT_CERT);
	cfg.identity_agent = "SSH_AUTH_SOCK";
	assert_int_equal(decide(why, sizeof(why)), TR_NONE);
}

/* Append an SSH string of n bytes. */
static size_t
put_str(unsigned char *p, const void *s, size_t n)
{
	p[0] = (unsigned char)(n >> 24);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	memcpy(p + 4, s, n);
	return 4 + n;
}

/* An identities answer with keys of the given types (blob: the type only). */
static size_t
answer(unsigned char *p, const char *const *types, size_t n)
{
	unsigned char blob[128];
	size_t off = 5, i, bl;

	p[0] = 12;
	p[1] = p[2] = p[3] = 0;
	p[4] = (unsigned char)n;
	for (i = 0; i < n; i++) {
		bl = put_str(blob, types[i], strlen(types[i]));
		off += put_str(p + off, blob, bl);
		off += put_str(p + off, "comment", 7);
	}
	return off;
}

/* The agent's answer is parsed as untrusted input. */
static void
test_agent_reply(void **state)
{
	static const char *const plain[] = { "ssh-ed25519", "ecdsa-sha2-nistp256" };
	static const char *const mixed[] = { "ssh-ed25519",
	    "ssh-ed25519-cert-v01@openssh.com" };
	unsigned char buf[1024];
	size_t n, cut;

	(void)state;
	n = answer(buf, plain, 2);
	assert_false(transport_agent_reply_has_cert(buf, n));
	n = answer(buf, mixed, 2);
	assert_true(transport_agent_reply_has_cert(buf, n));
	/* Every truncation of it is refused without reading past the end. */
	for (cut = 0; cut < n - 30; cut++)
		assert_false(transport_agent_reply_has_cert(buf, cut));
	/* A count larger than the keys there, a length past the end. */
	n = answer(buf, plain, 2);
	buf[4] = 200;
	assert_false(transport_agent_reply_has_cert(buf, n));
	n = answer(buf, mixed, 2);
	buf[5] = 0x7f;
	assert_false(transport_agent_reply_has_cert(buf, n));
	/* Not an identities answer (SSH_AGENT_FAILURE). */
	buf[0] = 5;
	assert_false(transport_agent_reply_has_cert(buf, 5));
	assert_false(transport_agent_reply_has_cert(buf, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_plain, setup),
		cmocka_unit_test_setup(test_reasons, setup),
		cmocka_unit_test_setup(test_algs, setup),
		cmocka_unit_test_setup(test_cert_beside, setup),
		cmocka_unit_test_setup(test_sk_defaults, setup),
		cmocka_unit_test_setup(test_control_master, setup),
		cmocka_unit_test_setup(test_control_path, setup),
		cmocka_unit_test_setup(test_private_type, setup),
		cmocka_unit_test_setup(test_real_env, setup),
		cmocka_unit_test_setup(test_agent_cert, setup),
		cmocka_unit_test_setup(test_agent_reply, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
