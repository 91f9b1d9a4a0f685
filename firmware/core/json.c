#include "json.h"

#include <string.h>

typedef struct {
    const char *js;
    size_t len;
    size_t pos;
    json_tok_t *toks;
    int max;
    int count;
} parser_t;

static void skip_ws(parser_t *p)
{
    while (p->pos < p->len) {
        char c = p->js[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int new_tok(parser_t *p, json_type_t type, size_t start)
{
    if (p->count >= p->max)
        return FW_ERR_TOO_LARGE;
    json_tok_t *t = &p->toks[p->count];
    t->type = (uint8_t)type;
    t->start = (uint16_t)start;
    t->len = 0;
    t->size = 0;
    t->next = 0;
    return p->count++;
}

static int parse_string(parser_t *p)
{
    /* p->pos is at the opening quote */
    size_t start = ++p->pos;
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->js[p->pos];
        if (c == '"') {
            int i = new_tok(p, JSON_STRING, start);
            if (i < 0)
                return i;
            p->toks[i].len = (uint16_t)(p->pos - start);
            p->toks[i].next = (uint16_t)(i + 1);
            p->pos++;
            return i;
        }
        if (c < 0x20)
            return FW_ERR_BAD_JSON;
        if (c == '\\') {
            p->pos++;
            if (p->pos >= p->len)
                return FW_ERR_BAD_JSON;
            c = (unsigned char)p->js[p->pos];
            if (c == 'u') {
                if (p->pos + 4 >= p->len)
                    return FW_ERR_BAD_JSON;
                for (int k = 1; k <= 4; k++)
                    if (hexval(p->js[p->pos + (size_t)k]) < 0)
                        return FW_ERR_BAD_JSON;
                p->pos += 4;
            } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
                return FW_ERR_BAD_JSON;
            }
        }
        p->pos++;
    }
    return FW_ERR_BAD_JSON;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int parse_number(parser_t *p)
{
    size_t start = p->pos;
    const char *s = p->js;
    if (p->pos < p->len && s[p->pos] == '-')
        p->pos++;
    if (p->pos >= p->len || !is_digit(s[p->pos]))
        return FW_ERR_BAD_JSON;
    if (s[p->pos] == '0') {
        p->pos++;
    } else {
        while (p->pos < p->len && is_digit(s[p->pos]))
            p->pos++;
    }
    if (p->pos < p->len && s[p->pos] == '.') {
        p->pos++;
        if (p->pos >= p->len || !is_digit(s[p->pos]))
            return FW_ERR_BAD_JSON;
        while (p->pos < p->len && is_digit(s[p->pos]))
            p->pos++;
    }
    if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->len || !is_digit(s[p->pos]))
            return FW_ERR_BAD_JSON;
        while (p->pos < p->len && is_digit(s[p->pos]))
            p->pos++;
    }
    int i = new_tok(p, JSON_NUMBER, start);
    if (i < 0)
        return i;
    p->toks[i].len = (uint16_t)(p->pos - start);
    p->toks[i].next = (uint16_t)(i + 1);
    return i;
}

static int parse_literal(parser_t *p, const char *word, json_type_t type)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->js + p->pos, word, n) != 0)
        return FW_ERR_BAD_JSON;
    int i = new_tok(p, type, p->pos);
    if (i < 0)
        return i;
    p->toks[i].len = (uint16_t)n;
    p->toks[i].next = (uint16_t)(i + 1);
    p->pos += n;
    return i;
}

static int parse_value(parser_t *p, int depth);
static int32_t str_next(const char *js, const json_tok_t *t, size_t *pos);

/* Two string tokens with the same decoded text. */
static bool same_key(const char *js, const json_tok_t *a, const json_tok_t *b)
{
    size_t pa = 0, pb = 0;
    for (;;) {
        int32_t ca = str_next(js, a, &pa), cb = str_next(js, b, &pb);
        if (ca != cb)
            return false;
        if (ca < 0)
            return true;
    }
}

/* Duplicate keys make an object ambiguous (decoders disagree on which wins): reject them. */
static bool has_duplicate_keys(const parser_t *p, int obj)
{
    const json_tok_t *t = p->toks;
    for (int a = obj + 1; a < p->count; a = t[a + 1].next)
        for (int b = t[a + 1].next; b < p->count; b = t[b + 1].next)
            if (same_key(p->js, &t[a], &t[b]))
                return true;
    return false;
}

static int parse_container(parser_t *p, int depth, bool object)
{
    if (depth >= JSON_MAX_DEPTH)
        return FW_ERR_BAD_JSON;
    int i = new_tok(p, object ? JSON_OBJECT : JSON_ARRAY, p->pos);
    if (i < 0)
        return i;
    char close = object ? '}' : ']';
    size_t start = p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->js[p->pos] == close) {
        p->pos++;
    } else {
        for (;;) {
            if (object) {
                skip_ws(p);
                if (p->pos >= p->len || p->js[p->pos] != '"')
                    return FW_ERR_BAD_JSON;
                int k = parse_string(p);
                if (k < 0)
                    return k;
                skip_ws(p);
                if (p->pos >= p->len || p->js[p->pos] != ':')
                    return FW_ERR_BAD_JSON;
                p->pos++;
            }
            int v = parse_value(p, depth + 1);
            if (v < 0)
                return v;
            p->toks[i].size++;
            skip_ws(p);
            if (p->pos >= p->len)
                return FW_ERR_BAD_JSON;
            char c = p->js[p->pos++];
            if (c == close)
                break;
            if (c != ',')
                return FW_ERR_BAD_JSON;
        }
    }
    p->toks[i].len = (uint16_t)(p->pos - start);
    p->toks[i].next = (uint16_t)p->count;
    if (object && has_duplicate_keys(p, i))
        return FW_ERR_BAD_JSON;
    return i;
}

static int parse_value(parser_t *p, int depth)
{
    skip_ws(p);
    if (p->pos >= p->len)
        return FW_ERR_BAD_JSON;
    switch (p->js[p->pos]) {
    case '{': return parse_container(p, depth, true);
    case '[': return parse_container(p, depth, false);
    case '"': return parse_string(p);
    case 't': return parse_literal(p, "true", JSON_TRUE);
    case 'f': return parse_literal(p, "false", JSON_FALSE);
    case 'n': return parse_literal(p, "null", JSON_NULL);
    default: return parse_number(p);
    }
}

int json_parse(const char *js, size_t len, json_tok_t *toks, int max_toks)
{
    if (len > 65535)
        return FW_ERR_TOO_LARGE;
    parser_t p = {js, len, 0, toks, max_toks, 0};
    skip_ws(&p);
    if (p.pos >= len || js[p.pos] != '{')
        return FW_ERR_BAD_JSON;
    int r = parse_value(&p, 0);
    if (r < 0)
        return r;
    skip_ws(&p);
    if (p.pos != len)
        return FW_ERR_BAD_JSON;
    return p.count;
}

/* Next decoded character of a string token: a code unit 0..0xFFFF, or -1 at the end. */
static int32_t str_next(const char *js, const json_tok_t *t, size_t *pos)
{
    if (*pos >= t->len)
        return -1;
    const char *s = js + t->start;
    char c = s[(*pos)++];
    if (c != '\\')
        return (unsigned char)c;
    c = s[(*pos)++];
    switch (c) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'u': {
        int32_t v = 0;
        for (int k = 0; k < 4; k++)
            v = v * 16 + hexval(s[(*pos)++]);
        return v;
    }
    default: return (unsigned char)c; /* " \ / */
    }
}

bool json_str_eq(const char *js, const json_tok_t *tok, const char *s)
{
    if (tok->type != JSON_STRING)
        return false;
    size_t pos = 0;
    for (;; s++) {
        int32_t c = str_next(js, tok, &pos);
        if (c < 0)
            return *s == '\0';
        if (*s == '\0' || c != (unsigned char)*s)
            return false;
    }
}

int json_str_ascii(const char *js, const json_tok_t *tok, char *out, size_t cap)
{
    size_t pos = 0, n = 0;
    int32_t c;
    while ((c = str_next(js, tok, &pos)) >= 0) {
        if (c < 0x20 || c > 0x7e)
            return -1;
        if (n + 1 >= cap)
            return -2;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return (int)n;
}

int json_find(const char *js, const json_tok_t *toks, int obj, const char *key)
{
    if (toks[obj].type != JSON_OBJECT)
        return -1;
    int i = obj + 1;
    for (uint16_t k = 0; k < toks[obj].size; k++) {
        if (json_str_eq(js, &toks[i], key))
            return i + 1;
        i = toks[i + 1].next;
    }
    return -1;
}

void jw_init(json_writer_t *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = cap == 0;
}

void jw_char(json_writer_t *w, char c)
{
    if (w->len + 1 < w->cap)
        w->buf[w->len++] = c;
    else
        w->overflow = true;
}

void jw_raw(json_writer_t *w, const char *s)
{
    while (*s)
        jw_char(w, *s++);
}

void jw_uint(json_writer_t *w, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        jw_char(w, tmp[--n]);
}

void jw_tenths(json_writer_t *w, int32_t tenths)
{
    uint32_t a;
    if (tenths < 0) {
        jw_char(w, '-');
        a = (uint32_t)(-(int64_t)tenths);
    } else {
        a = (uint32_t)tenths;
    }
    jw_uint(w, a / 10);
    jw_char(w, '.');
    jw_char(w, (char)('0' + a % 10));
}

void jw_string(json_writer_t *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    jw_char(w, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            jw_char(w, '\\');
            jw_char(w, (char)c);
        } else if (c < 0x20) {
            jw_raw(w, "\\u00");
            jw_char(w, hex[c >> 4]);
            jw_char(w, hex[c & 15]);
        } else {
            jw_char(w, (char)c);
        }
    }
    jw_char(w, '"');
}

fw_err_t jw_finish(json_writer_t *w)
{
    if (w->overflow)
        return FW_ERR_NO_SPACE;
    w->buf[w->len] = '\0';
    return FW_OK;
}
