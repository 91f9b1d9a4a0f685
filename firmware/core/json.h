/* json.h: a strict, allocation-free JSON tokenizer and a bounded writer.
 *
 * The tokenizer fills a caller-owned token array (no malloc, bounded recursion) and checks the
 * whole text against RFC 8259, so a payload that tokenizes is well formed. Token offsets point
 * into the caller's buffer, which must outlive the tokens. */
#ifndef FW_JSON_H
#define FW_JSON_H

#include "fw.h"

#define JSON_MAX_DEPTH 4

typedef enum { JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_NUMBER, JSON_TRUE, JSON_FALSE, JSON_NULL } json_type_t;

typedef struct {
    uint8_t type;   /* json_type_t */
    uint16_t start; /* first byte; for strings the byte after the opening quote */
    uint16_t len;   /* bytes; for strings without the quotes, escapes not decoded */
    uint16_t size;  /* objects: key/value pairs; arrays: elements */
    uint16_t next;  /* index of the token after this one's whole subtree */
} json_tok_t;

/* Tokenizes js[0..len). The top level must be one object; no object may repeat a key.
 * Returns the number of tokens, FW_ERR_BAD_JSON, or FW_ERR_TOO_LARGE if max_toks is not enough
 * (or len exceeds 65535). */
int json_parse(const char *js, size_t len, json_tok_t *toks, int max_toks);

/* Index of the value for key in the object at toks[obj], or -1. */
int json_find(const char *js, const json_tok_t *toks, int obj, const char *key);

/* True if the string token decodes (escapes resolved) to exactly s. */
bool json_str_eq(const char *js, const json_tok_t *tok, const char *s);

/* Decodes a string token into out (NUL-terminated). Only printable ASCII (0x20..0x7E) is
 * accepted after unescaping. Returns the length, or -1 if a character is not printable ASCII,
 * or -2 if the text needs more than cap - 1 bytes. */
int json_str_ascii(const char *js, const json_tok_t *tok, char *out, size_t cap);

/* Bounded writer: appends while there is room, remembers overflow. */
typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
} json_writer_t;

void jw_init(json_writer_t *w, char *buf, size_t cap);
void jw_raw(json_writer_t *w, const char *s);
void jw_char(json_writer_t *w, char c);
void jw_uint(json_writer_t *w, uint32_t v);
void jw_tenths(json_writer_t *w, int32_t tenths); /* 565 -> 56.5, -5 -> -0.5 */
void jw_string(json_writer_t *w, const char *s); /* quoted, escaped */
/* NUL-terminates; returns FW_OK or FW_ERR_NO_SPACE. */
fw_err_t jw_finish(json_writer_t *w);

#endif
