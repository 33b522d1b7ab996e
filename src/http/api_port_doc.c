/**
 * @file api_port_doc.c  POST /v1/sip/port/document: a proof-of-ownership
 *                       upload, streamed to a file in --documents-dir
 *
 * The body (multipart/form-data with a `file` part, or the file itself)
 * never sits in memory: each chunk goes through the multipart parser into
 * a temporary file and the SHA-256 as it arrives.  What the file is comes
 * from its first bytes (PDF, PNG or JPEG), never from a declared type.
 * Once the request is authenticated and whole, the file is fsync'ed (off
 * the loop thread), renamed to its sid, and recorded in port_documents.
 *
 * Ownership: the upload (struct upload) is the request's body sink, freed
 * with the request; its destructor removes a file that was not kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mbedtls/md.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_sys.h>
#include "http/api_int.h"
#include "http/multipart.h"
#include "core/config.h"
#include "core/log.h"
#include "store/store.h"

#define DOC_MAX	    (10u * 1024 * 1024) /* the seeds' 10 MB */
#define FIELDS_MAX  (16u * 1024)	/* bytes of other form fields */
#define SNIFF_BYTES 8

struct upload {
	struct multipart *mp; /* owned; NULL: the body is the file */
	struct api *api;      /* borrowed: outlives requests */
	uv_fs_t fsync;
	int fd;
	char tmp[512], path[512];
	char sid[35];
	mbedtls_md_context_t sha;
	uint8_t head[SNIFF_BYTES];
	size_t size;   /* file bytes */
	size_t fields; /* bytes of the form's other parts */
	bool in_file, had_file, kept;
	char filename[256];
	/* the first thing that went wrong: the handler replies with it */
	unsigned status;
	const char *code;
	char msg[200];
};

static void upload_destructor(void *arg)
{
	struct upload *up = arg;

	if (up->fd >= 0)
		close(up->fd);
	if (up->tmp[0] && !up->kept)
		unlink(up->tmp);
	mem_deref(up->mp);
	mbedtls_md_free(&up->sha);
}

static void refuse(struct upload *up, unsigned status, const char *code,
		   const char *fmt, ...)
{
	va_list ap;

	if (up->status)
		return; /* the first reason stands */
	up->status = status;
	up->code = code;
	va_start(ap, fmt);
	vsnprintf(up->msg, sizeof(up->msg), fmt, ap);
	va_end(ap);
	if (up->fd >= 0) {
		close(up->fd);
		up->fd = -1;
	}
}

/* file bytes: size bound, sniff buffer, hash, disk */
static int file_bytes(struct upload *up, const uint8_t *p, size_t n)
{
	if (up->status)
		return 0;
	if (up->size + n > DOC_MAX) {
		refuse(up, 413, "PAYLOAD_TOO_LARGE",
		       "the document is over 10 MB (10485760 bytes)");
		return 0;
	}
	if (up->size < SNIFF_BYTES)
		memcpy(up->head + up->size, p,
		       n < SNIFF_BYTES - up->size ? n : SNIFF_BYTES - up->size);
	up->size += n;
	mbedtls_md_update(&up->sha, p, n);
	while (n) {
		ssize_t w = write(up->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_warn("http", NULL, "document %s: %m", up->tmp);
			refuse(up, 500, "STORAGE_ERROR",
			       "the document could not be stored");
			return 0;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int part_begin(void *arg, const struct multipart_part *part)
{
	struct upload *up = arg;

	up->in_file = !strcmp(part->name, "file");
	if (!up->in_file)
		return 0;
	if (up->had_file)
		refuse(up, 400, "INVALID_FIELD",
		       "one file per upload (two 'file' parts)");
	up->had_file = true;
	snprintf(up->filename, sizeof(up->filename), "%s", part->filename);
	return 0;
}

static int part_data(void *arg, const uint8_t *p, size_t n)
{
	struct upload *up = arg;

	if (up->in_file)
		return file_bytes(up, p, n);
	up->fields += n;
	if (up->fields > FIELDS_MAX)
		refuse(up, 413, "PAYLOAD_TOO_LARGE",
		       "form fields other than 'file' over 16 KiB");
	return 0;
}

static int part_end(void *arg)
{
	struct upload *up = arg;

	up->in_file = false;
	return 0;
}

static const struct multipart_handlers form = {part_begin, part_data, part_end};

static void upload_write(void *sink, const uint8_t *p, size_t n)
{
	struct upload *up = sink;

	if (up->status)
		return; /* refused: the rest is read and dropped */
	if (!up->mp) {
		file_bytes(up, p, n);
		return;
	}
	if (multipart_feed(up->mp, p, n) == EBADMSG)
		refuse(up, 400, "INVALID_MULTIPART", "malformed form: %s",
		       multipart_error(up->mp));
}

/* the end of the headers: where the body will go */
static unsigned upload_open(struct http_req *req, void **sinkp)
{
	struct api *api = http_req_server_arg(req);
	const char *ct = http_req_header(req, "content-type");
	const char *dir = api->cfg->documents_dir;
	char boundary[MULTIPART_BOUNDARY_MAX + 1];
	struct upload *up;

	if (!http_req_header(req, "authorization"))
		return 401; /* no key: not one byte reaches the disk */
	up = mem_zalloc(sizeof(*up), upload_destructor);
	if (!up)
		return 500;
	up->fd = -1;
	up->api = api;
	mbedtls_md_init(&up->sha);
	*sinkp = up;
	if (mbedtls_md_setup(&up->sha,
			     mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 0) ||
	    mbedtls_md_starts(&up->sha)) {
		refuse(up, 500, "INTERNAL", "SHA-256 unavailable");
		return 0;
	}
	if (ct && !strncasecmp(ct, "multipart/", 10)) {
		if (multipart_boundary(ct, boundary) ||
		    multipart_alloc(&up->mp, boundary, &form, up)) {
			refuse(up, 400, "INVALID_MULTIPART",
			       "Content-Type must be multipart/form-data with "
			       "a boundary");
			return 0;
		}
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		log_warn("http", http_req_id(req), "mkdir %s: %m", dir);
		refuse(up, 500, "STORAGE_ERROR",
		       "the document could not be stored");
		return 0;
	}
	snprintf(up->tmp, sizeof(up->tmp), "%s/.upload-%s", dir,
		 http_req_id(req));
	up->fd = open(up->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (up->fd < 0) {
		log_warn("http", http_req_id(req), "%s: %m", up->tmp);
		up->tmp[0] = '\0';
		refuse(up, 500, "STORAGE_ERROR",
		       "the document could not be stored");
	}
	return 0;
}

const struct http_stream api_port_document_stream = {
    DOC_MAX + 64 * 1024, /* the file, and the form around it */
    upload_open,
    upload_write,
};

/* what the first bytes say, or NULL */
static const char *sniff(const uint8_t *h, size_t n)
{
	static const uint8_t png[8] = {0x89, 'P',  'N',	 'G',
				       '\r', '\n', 0x1a, '\n'};

	if (n >= 5 && !memcmp(h, "%PDF-", 5))
		return "application/pdf";
	if (n >= 8 && !memcmp(h, png, 8))
		return "image/png";
	if (n >= 3 && h[0] == 0xff && h[1] == 0xd8 && h[2] == 0xff)
		return "image/jpeg";
	return NULL;
}

struct doc_job {
	struct http_req *req; /* ref: it owns the upload */
	struct upload *up;    /* borrowed from req */
	char type[32], sha[65], size[24];
};

static void on_recorded(int err, const PGresult *res, void *arg)
{
	struct doc_job *job = arg;
	struct upload *up = job->up;

	(void)res;
	if (err) {
		unlink(up->path); /* no row, no file */
		api_reply_store_error(job->req, err);
	} else {
		http_reply_data(
		    job->req, 200,
		    json_pack("{s:s, s:s, s:i, s:s, s:s?}", "document_sid",
			      up->sid, "content_type", job->type, "size",
			      (json_int_t)up->size, "sha256", job->sha,
			      "filename",
			      up->filename[0] ? up->filename : NULL));
	}
	mem_deref(job->req);
	mem_deref(job);
}

static void on_synced(uv_fs_t *fs)
{
	struct doc_job *job = fs->data;
	struct upload *up = job->up;
	const char *p[6];
	int rc = (int)fs->result;

	uv_fs_req_cleanup(fs);
	close(up->fd);
	up->fd = -1;
	if (rc < 0 || rename(up->tmp, up->path)) {
		log_warn("http", http_req_id(job->req), "document %s: %s",
			 up->sid, rc < 0 ? uv_strerror(rc) : strerror(errno));
		http_reply_error(job->req, 500, "STORAGE_ERROR",
				 "the document could not be stored");
		goto out;
	}
	up->kept = true;
	p[0] = up->sid;
	p[1] = api_principal(job->req)->org_id;
	p[2] = job->type;
	p[3] = job->size;
	p[4] = job->sha;
	p[5] = up->filename;
	rc = store_query(up->api->store,
			 "INSERT INTO port_documents (sid, org_id, "
			 "content_type, size, sha256, filename) VALUES ($1, "
			 "$2::uuid, $3, $4::bigint, $5, nullif($6, ''))",
			 6, p, on_recorded, job);
	if (!rc)
		return;
	unlink(up->path);
	api_reply_store_error(job->req, rc);
out:
	mem_deref(job->req);
	mem_deref(job);
}

void api_port_document_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	struct upload *up = http_req_sink(req);
	struct doc_job *job;
	uint8_t digest[32];
	const char *type;

	if (!api_sip_enabled(req))
		return;
	if (!up) {
		http_reply_error(req, 500, "INTERNAL", "no upload");
		return;
	}
	if (!up->status && up->mp && multipart_finish(up->mp))
		refuse(up, 400, "INVALID_MULTIPART", "malformed form: %s",
		       multipart_error(up->mp));
	if (!up->status && up->mp && !up->had_file)
		refuse(up, 400, "MISSING_FIELD", "the form has no 'file' part");
	if (!up->status && !up->size)
		refuse(up, 400, "INVALID_FIELD", "the document is empty");
	type = up->status ? NULL : sniff(up->head, up->size);
	if (!up->status && !type)
		refuse(up, 415, "UNSUPPORTED_MEDIA_TYPE",
		       "the document must be a PDF, PNG or JPEG; its content "
		       "is none of these, whatever its declared type");
	if (up->status) {
		http_reply_error(req, up->status, up->code, "%s", up->msg);
		return;
	}
	job = mem_zalloc(sizeof(*job), NULL);
	if (!job) {
		http_reply_error(req, 500, "INTERNAL", "out of memory");
		return;
	}
	mbedtls_md_finish(&up->sha, digest);
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(job->sha + 2 * i, 3, "%02x", digest[i]);
	snprintf(job->type, sizeof(job->type), "%s", type);
	snprintf(job->size, sizeof(job->size), "%zu", up->size);
	snprintf(up->sid, sizeof(up->sid), "PD%016llx%016llx",
		 (unsigned long long)rand_u64(),
		 (unsigned long long)rand_u64());
	snprintf(up->path, sizeof(up->path), "%s/%s", api->cfg->documents_dir,
		 up->sid);
	job->req = mem_ref(req);
	job->up = up;
	up->fsync.data = job;
	if (uv_fs_fsync(api->loop, &up->fsync, up->fd, on_synced)) {
		up->fsync.result = -EIO;
		on_synced(&up->fsync);
	}
}
