/* POSTs to etcd's v3 JSON gateway through libcurl, bounded in time and size. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "power/store/etcd_client.h"
#include "vmm/lib/bounded_buffer.h"
#include "power/store/etcd_json.h"

#define ETCD_CONNECT_MS 2000

static int endpoint_add(struct etcd_client *c, const char *text, size_t len, char *why, size_t whylen)
{
	const char *host = len > 7 && strncmp(text, "http://", 7) == 0    ? text + 7
			   : len > 8 && strncmp(text, "https://", 8) == 0 ? text + 8
									  : NULL;

	while (len && text[len - 1] == '/')
		len--;
	if (!host || host >= text + len || memchr(host, '/', text + len - host) || memchr(text, '@', len) ||
	    memchr(text, '?', len)) {
		snprintf(why, whylen, "endpoint '%.*s': give http://HOST:PORT or https://HOST:PORT", (int)len, text);
		return -EINVAL;
	}
	if (c->n_endpoints == ETCD_ENDPOINTS_MAX || len >= ETCD_ENDPOINT_LEN) {
		snprintf(why, whylen, "at most %d endpoints of at most %d bytes each", ETCD_ENDPOINTS_MAX,
			 ETCD_ENDPOINT_LEN - 1);
		return -EINVAL;
	}
	memcpy(c->endpoints[c->n_endpoints], text, len);
	c->endpoints[c->n_endpoints++][len] = '\0';
	return 0;
}

int etcd_client_init(struct etcd_client *c, const char *endpoints, char *why, size_t whylen)
{
	const char *p = endpoints;

	memset(c, 0, sizeof(*c));
	c->timeout_ms = ETCD_DEFAULT_TIMEOUT_MS;
	for (;;) {
		size_t len = strcspn(p, ",");
		int ret = endpoint_add(c, p, len, why, whylen);

		if (ret < 0)
			return ret;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

static CURL *request_new(const struct etcd_client *c, const char *body, struct curl_slist *headers,
			 struct bounded_buffer *a)
{
	CURL *curl = curl_easy_init();

	if (!curl)
		return NULL;
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->timeout_ms < ETCD_CONNECT_MS ? c->timeout_ms
												: ETCD_CONNECT_MS));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, bounded_buffer_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
	if (c->ca_file[0])
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
	if (c->cert_file[0])
		curl_easy_setopt(curl, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_file[0])
		curl_easy_setopt(curl, CURLOPT_SSLKEY, c->key_file);
	return curl;
}

/* Whether another endpoint may be asked after code: the request never left, or it was a read. */
static bool try_next(CURLcode code, bool idempotent)
{
	if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST)
		return true;
	return idempotent && (code == CURLE_OPERATION_TIMEDOUT || code == CURLE_SSL_CONNECT_ERROR ||
			   code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING);
}

/* Ask each endpoint in turn from the current one: the code and HTTP status of the last asked. */
static CURLcode request_send(struct etcd_client *c, CURL *curl, const char *path, bool idempotent, struct bounded_buffer *a,
			     long *status, size_t *asked)
{
	char url[ETCD_ENDPOINT_LEN + 64];
	CURLcode code = CURLE_FAILED_INIT;

	for (size_t k = 0; k < c->n_endpoints; k++) {
		*asked = (c->current + k) % c->n_endpoints;
		snprintf(url, sizeof(url), "%s%s", c->endpoints[*asked], path);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		a->len = 0, a->too_long = false;
		code = curl_easy_perform(curl);
		if (code == CURLE_OK) {
			c->current = *asked;
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
			break;
		}
		if (!try_next(code, idempotent))
			break;
	}
	return code;
}

static int curl_failure(const struct etcd_client *c, CURLcode code, const struct bounded_buffer *a, size_t asked,
			bool idempotent, char *why, size_t whylen)
{
	const char *endpoint = c->endpoints[asked];

	if (a->too_long) {
		snprintf(why, whylen, "%s answered with more than %d bytes", endpoint, ETCD_ANSWER_MAX);
		return -EPROTO;
	}
	if (code == CURLE_OPERATION_TIMEDOUT && !idempotent) {
		snprintf(why, whylen, "%s did not answer a write within %u ms: it may have been carried out",
			 endpoint, c->timeout_ms);
		return -ETIMEDOUT;
	}
	snprintf(why, whylen, "%s%s: %s", c->n_endpoints > 1 && try_next(code, idempotent) ? "no endpoint answered; "
											  : "", endpoint,
		 curl_easy_strerror(code));
	if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CACERT_BADFILE)
		return -EACCES;
	return try_next(code, idempotent) ? -EHOSTUNREACH : -EIO;
}

static int answer_read(const struct etcd_client *c, const char *path, const struct bounded_buffer *a, long status,
		       size_t asked, json_t **answer, char *why, size_t whylen)
{
	char msg[256] = "";
	int ret = etcd_answer_parse(a->data ? a->data : "", a->len, answer);

	if (ret == 0 && status >= 200 && status < 300)
		return 0;
	if (ret == 0)
		etcd_answer_error(*answer, msg, sizeof(msg));
	json_decref(ret == 0 ? *answer : NULL);
	*answer = NULL;
	if (status >= 200 && status < 300) {
		snprintf(why, whylen, "%s%s: the answer is not a JSON object", c->endpoints[asked], path);
		return -EPROTO;
	}
	snprintf(why, whylen, "%s%s: HTTP %ld%s%s", c->endpoints[asked], path, status, msg[0] ? ": " : "", msg);
	return status == 401 || status == 403 ? -EACCES : status == 404 ? -ENOENT : -EIO;
}

int etcd_client_post(struct etcd_client *c, const char *path, const json_t *body, bool idempotent, json_t **answer,
		     char *why, size_t whylen)
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	struct bounded_buffer a = { .max = ETCD_ANSWER_MAX };
	CURL *curl = text && headers ? request_new(c, text, headers, &a) : NULL;
	size_t asked = c->current;
	long status = 0;
	CURLcode code;
	int ret;

	*answer = NULL;
	if (!curl) {
		ret = -ENOMEM;
		snprintf(why, whylen, "%s", strerror(ENOMEM));
	} else {
		code = request_send(c, curl, path, idempotent, &a, &status, &asked);
		ret = code == CURLE_OK ? answer_read(c, path, &a, status, asked, answer, why, whylen)
				       : curl_failure(c, code, &a, asked, idempotent, why, whylen);
	}
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	free(text);
	free(a.data);
	return ret;
}
