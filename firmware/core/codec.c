#include "codec.h"

#include <stddef.h>
#include <string.h>

#include "json.h"

#define MAX_TOKENS 64

typedef enum { FD_BOOL, FD_UINT, FD_TENTHS, FD_ID, FD_TEXT, FD_ENUM, FD_OBJECT } fd_kind_t;

typedef struct msg_desc msg_desc_t;

typedef struct {
    const char *name;
    uint8_t kind;     /* fd_kind_t */
    bool required;
    uint16_t offset;
    int64_t min, max; /* UINT/TENTHS: range; ID/TEXT: capacity of the char array; ENUM: count */
    const char *const *names; /* ENUM */
    const msg_desc_t *sub;    /* OBJECT */
} fd_t;

struct msg_desc {
    const fd_t *fields;
    uint8_t count;
    uint16_t size;
};

#define BOOT(T) {"boot", FD_UINT, true, offsetof(T, boot), 1, 4294967295LL, NULL, NULL}
#define SEQ(T, lo) {"seq", FD_UINT, true, offsetof(T, seq), lo, 4294967295LL, NULL, NULL}
#define DESC(T, f) {f, (uint8_t)(sizeof(f) / sizeof(f[0])), sizeof(T)}

static const char *const PHASES[] = {"preheat", "cooking", "done"};
static const char *const STATUSES[] = {"online", "offline"};
static const char *const BULB_CMDS[] = {"set", "toggle", "report"};
static const char *const SV_CMDS[] = {"set", "startProgram", "stopProgram", "report"};
static const char *const ERR_CODES[FW_ERR_WIRE_COUNT] = {
    "too_large", "bad_json", "bad_id", "unknown_cmd", "missing_field",
    "unknown_field", "bad_type", "out_of_range", "bad_topic"};

static const fd_t BULB_STATE[] = {
    BOOT(fw_bulb_state_t),
    SEQ(fw_bulb_state_t, 1),
    {"power", FD_BOOL, true, offsetof(fw_bulb_state_t, power), 0, 0, NULL, NULL},
    {"brightnessPct", FD_UINT, true, offsetof(fw_bulb_state_t, brightness_pct), 0, 100, NULL, NULL},
    {"colorTempK", FD_UINT, true, offsetof(fw_bulb_state_t, color_temp_k), 2700, 6500, NULL, NULL},
};
static const fd_t BULB_TELEMETRY[] = {
    BOOT(fw_bulb_telemetry_t),
    SEQ(fw_bulb_telemetry_t, 1),
    {"uptimeS", FD_UINT, true, offsetof(fw_bulb_telemetry_t, uptime_s), 0, 4294967295LL, NULL, NULL},
    {"powerMw", FD_UINT, true, offsetof(fw_bulb_telemetry_t, power_mw), 0, 100000, NULL, NULL},
};
static const fd_t PROGRAM[] = {
    {"durationS", FD_UINT, true, offsetof(fw_program_t, duration_s), 1, 259200, NULL, NULL},
    {"elapsedS", FD_UINT, true, offsetof(fw_program_t, elapsed_s), 0, 259200, NULL, NULL},
    {"phase", FD_ENUM, true, offsetof(fw_program_t, phase), 0, 3, PHASES, NULL},
};
static const msg_desc_t PROGRAM_DESC = DESC(fw_program_t, PROGRAM);
static const fd_t SV_STATE[] = {
    BOOT(fw_sv_state_t),
    SEQ(fw_sv_state_t, 1),
    {"heater", FD_BOOL, true, offsetof(fw_sv_state_t, heater), 0, 0, NULL, NULL},
    {"targetTempC", FD_TENTHS, true, offsetof(fw_sv_state_t, target_dc), 200, 950, NULL, NULL},
    {"waterTempC", FD_TENTHS, true, offsetof(fw_sv_state_t, water_dc), -200, 1200, NULL, NULL},
    {"program", FD_OBJECT, false, offsetof(fw_sv_state_t, program), 0, 0, NULL, &PROGRAM_DESC},
};
static const fd_t SV_TELEMETRY[] = {
    BOOT(fw_sv_telemetry_t),
    SEQ(fw_sv_telemetry_t, 1),
    {"uptimeS", FD_UINT, true, offsetof(fw_sv_telemetry_t, uptime_s), 0, 4294967295LL, NULL, NULL},
    {"waterTempC", FD_TENTHS, true, offsetof(fw_sv_telemetry_t, water_dc), -200, 1200, NULL, NULL},
    {"heating", FD_BOOL, true, offsetof(fw_sv_telemetry_t, heating), 0, 0, NULL, NULL},
};
static const fd_t ACK[] = {
    BOOT(fw_ack_t),
    SEQ(fw_ack_t, 1),
    {"id", FD_ID, false, offsetof(fw_ack_t, id), 1, sizeof(((fw_ack_t *)0)->id), NULL, NULL},
    {"ok", FD_BOOL, true, offsetof(fw_ack_t, ok), 0, 0, NULL, NULL},
    {"error", FD_ENUM, false, offsetof(fw_ack_t, error), 0, FW_ERR_WIRE_COUNT, ERR_CODES, NULL},
    {"message", FD_TEXT, false, offsetof(fw_ack_t, message), 0, sizeof(((fw_ack_t *)0)->message), NULL, NULL},
};
static const fd_t PRESENCE[] = {
    BOOT(fw_presence_t),
    SEQ(fw_presence_t, 0),
    {"status", FD_ENUM, true, offsetof(fw_presence_t, status), 0, 2, STATUSES, NULL},
    {"heartbeatS", FD_UINT, false, offsetof(fw_presence_t, heartbeat_s), 1, 3600, NULL, NULL},
    {"fw", FD_ID, false, offsetof(fw_presence_t, fw), 1, sizeof(((fw_presence_t *)0)->fw), NULL, NULL},
};
static const fd_t BULB_CMD[] = {
    {"id", FD_ID, true, offsetof(fw_bulb_cmd_t, id), 1, sizeof(((fw_bulb_cmd_t *)0)->id), NULL, NULL},
    {"cmd", FD_ENUM, true, offsetof(fw_bulb_cmd_t, cmd), 0, 3, BULB_CMDS, NULL},
    {"power", FD_BOOL, false, offsetof(fw_bulb_cmd_t, power), 0, 0, NULL, NULL},
    {"brightnessPct", FD_UINT, false, offsetof(fw_bulb_cmd_t, brightness_pct), 0, 100, NULL, NULL},
    {"colorTempK", FD_UINT, false, offsetof(fw_bulb_cmd_t, color_temp_k), 2700, 6500, NULL, NULL},
};
static const fd_t SV_CMD[] = {
    {"id", FD_ID, true, offsetof(fw_sv_cmd_t, id), 1, sizeof(((fw_sv_cmd_t *)0)->id), NULL, NULL},
    {"cmd", FD_ENUM, true, offsetof(fw_sv_cmd_t, cmd), 0, 4, SV_CMDS, NULL},
    {"heater", FD_BOOL, false, offsetof(fw_sv_cmd_t, heater), 0, 0, NULL, NULL},
    {"targetTempC", FD_TENTHS, false, offsetof(fw_sv_cmd_t, target_dc), 200, 950, NULL, NULL},
    {"durationS", FD_UINT, false, offsetof(fw_sv_cmd_t, duration_s), 1, 259200, NULL, NULL},
};

static const msg_desc_t DESCS[FW_TYPE_COUNT][FW_KIND_COUNT] = {
    {DESC(fw_bulb_state_t, BULB_STATE), DESC(fw_bulb_telemetry_t, BULB_TELEMETRY), DESC(fw_ack_t, ACK),
     DESC(fw_presence_t, PRESENCE), DESC(fw_bulb_cmd_t, BULB_CMD)},
    {DESC(fw_sv_state_t, SV_STATE), DESC(fw_sv_telemetry_t, SV_TELEMETRY), DESC(fw_ack_t, ACK),
     DESC(fw_presence_t, PRESENCE), DESC(fw_sv_cmd_t, SV_CMD)},
};

const char *fw_err_code(fw_err_t err)
{
    if (err == FW_OK)
        return "ok";
    if (err < 0 && -err <= FW_ERR_WIRE_COUNT)
        return ERR_CODES[-err - 1];
    return "internal";
}

fw_err_t fw_err_from_code(const char *name, size_t len)
{
    for (int i = 0; i < FW_ERR_WIRE_COUNT; i++)
        if (strlen(ERR_CODES[i]) == len && memcmp(ERR_CODES[i], name, len) == 0)
            return (fw_err_t)(-i - 1);
    return FW_OK;
}

const char *fw_type_name(fw_type_t type)
{
    return type == FW_TYPE_LIGHTBULB ? "lightbulb" : type == FW_TYPE_SOUSVIDE ? "sousvide" : "?";
}

const char *fw_kind_name(fw_kind_t kind)
{
    static const char *const KINDS[FW_KIND_COUNT] = {"state", "telemetry", "ack", "presence", "cmd"};
    return (unsigned)kind < FW_KIND_COUNT ? KINDS[kind] : "?";
}

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

static fw_err_t fail(fw_diag_t *diag, fw_err_t err, const char *field)
{
    if (diag) {
        diag->err = err;
        size_t n = 0;
        if (field)
            for (; field[n] && n + 1 < sizeof(diag->field); n++)
                diag->field[n] = field[n];
        diag->field[n] = '\0';
    }
    return err;
}

/* Records an unknown key, keeping only [A-Za-z0-9_] so it can go into an ack message. */
static fw_err_t fail_key(fw_diag_t *diag, fw_err_t err, const char *js, const json_tok_t *key)
{
    char name[25];
    size_t n = 0;
    for (uint16_t i = 0; i < key->len && n + 1 < sizeof(name); i++) {
        char c = js[key->start + i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
            name[n++] = c;
    }
    name[n] = '\0';
    return fail(diag, err, name);
}

/* Integer token -> value. Fractions and exponents are bad_type, values out of range are out_of_range. */
static fw_err_t number_int(const char *js, const json_tok_t *t, int64_t min, int64_t max, int64_t *out)
{
    if (t->type != JSON_NUMBER)
        return FW_ERR_BAD_TYPE;
    const char *s = js + t->start;
    uint16_t i = 0;
    bool neg = s[0] == '-';
    if (neg)
        i++;
    for (uint16_t j = i; j < t->len; j++)
        if (s[j] < '0' || s[j] > '9')
            return FW_ERR_BAD_TYPE; /* fraction or exponent */
    int64_t v = 0;
    for (; i < t->len; i++) {
        if (v > 100000000000LL)
            return FW_ERR_OUT_OF_RANGE;
        v = v * 10 + (s[i] - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max)
        return FW_ERR_OUT_OF_RANGE;
    *out = v;
    return FW_OK;
}

/* Decimal token -> tenths. Digits past the first decimal must be 0; exponents are bad_type. */
static fw_err_t number_tenths(const char *js, const json_tok_t *t, int64_t min, int64_t max, int32_t *out)
{
    if (t->type != JSON_NUMBER)
        return FW_ERR_BAD_TYPE;
    const char *s = js + t->start;
    for (uint16_t i = 0; i < t->len; i++)
        if (s[i] == 'e' || s[i] == 'E')
            return FW_ERR_BAD_TYPE;
    uint16_t i = 0;
    bool neg = s[0] == '-';
    if (neg)
        i++;
    int64_t v = 0;
    bool big = false;
    for (; i < t->len && s[i] != '.'; i++) {
        if (v > 100000000LL)
            big = true;
        else
            v = v * 10 + (s[i] - '0');
    }
    v *= 10;
    bool off_step = false;
    if (i < t->len) { /* at '.' */
        i++;
        v += s[i] - '0';
        for (i++; i < t->len; i++)
            if (s[i] != '0')
                off_step = true;
    }
    if (neg)
        v = -v;
    if (big || off_step || v < min || v > max)
        return FW_ERR_OUT_OF_RANGE;
    *out = (int32_t)v;
    return FW_OK;
}

static fw_err_t decode_obj(const msg_desc_t *d, void *msg, const char *js, const json_tok_t *toks, int obj,
                           fw_diag_t *diag);

static fw_err_t decode_field(const fd_t *f, void *msg, const char *js, const json_tok_t *toks, int v,
                             fw_diag_t *diag)
{
    char *dst = (char *)msg + f->offset;
    const json_tok_t *t = &toks[v];
    switch ((fd_kind_t)f->kind) {
    case FD_BOOL:
        if (t->type != JSON_TRUE && t->type != JSON_FALSE)
            return FW_ERR_BAD_TYPE;
        *(bool *)dst = t->type == JSON_TRUE;
        return FW_OK;
    case FD_UINT: {
        int64_t x = 0;
        fw_err_t e = number_int(js, t, f->min, f->max, &x);
        if (e == FW_OK)
            *(uint32_t *)dst = (uint32_t)x;
        return e;
    }
    case FD_TENTHS:
        return number_tenths(js, t, f->min, f->max, (int32_t *)dst);
    case FD_ID:
    case FD_TEXT: {
        if (t->type != JSON_STRING)
            return FW_ERR_BAD_TYPE;
        int n = json_str_ascii(js, t, dst, (size_t)f->max);
        if (n < 0 || (int64_t)n < f->min)
            return FW_ERR_OUT_OF_RANGE;
        if (f->kind == FD_ID)
            for (int i = 0; i < n; i++)
                if (!id_char(dst[i]))
                    return FW_ERR_OUT_OF_RANGE;
        return FW_OK;
    }
    case FD_ENUM:
        if (t->type != JSON_STRING)
            return FW_ERR_BAD_TYPE;
        for (int64_t i = 0; i < f->max; i++)
            if (json_str_eq(js, t, f->names[i])) {
                *(uint8_t *)dst = (uint8_t)i;
                return FW_OK;
            }
        return FW_ERR_OUT_OF_RANGE;
    case FD_OBJECT:
        if (t->type != JSON_OBJECT)
            return fail(diag, FW_ERR_BAD_TYPE, f->name);
        return decode_obj(f->sub, dst, js, toks, v, diag);
    }
    return FW_ERR_BAD_TYPE;
}

static fw_err_t decode_obj(const msg_desc_t *d, void *msg, const char *js, const json_tok_t *toks, int obj,
                           fw_diag_t *diag)
{
    memset(msg, 0, d->size);
    uint16_t *present = (uint16_t *)msg;
    int k = obj + 1;
    for (uint16_t pair = 0; pair < toks[obj].size; pair++) {
        int v = k + 1;
        int f = 0;
        while (f < d->count && !json_str_eq(js, &toks[k], d->fields[f].name))
            f++;
        if (f == d->count)
            return fail_key(diag, FW_ERR_UNKNOWN_FIELD, js, &toks[k]);
        if (*present & FW_BIT(f))
            return fail(diag, FW_ERR_BAD_JSON, d->fields[f].name);
        fw_err_t e = decode_field(&d->fields[f], msg, js, toks, v, diag);
        if (e != FW_OK) {
            if (d->fields[f].kind == FD_OBJECT)
                return e; /* diag already names the field */
            return fail(diag, e, d->fields[f].name);
        }
        *present |= FW_BIT(f);
        k = toks[v].next;
    }
    for (int f = 0; f < d->count; f++)
        if (d->fields[f].required && !(*present & FW_BIT(f)))
            return fail(diag, FW_ERR_MISSING_FIELD, d->fields[f].name);
    return FW_OK;
}

/* Cross-field rules the field lists cannot say. */
static fw_err_t check_rules(fw_type_t type, fw_kind_t kind, fw_msg_t *m, fw_diag_t *diag)
{
    if (kind == FW_KIND_ACK) {
        fw_ack_t *a = &m->ack;
        if (a->ok && (a->present & FW_ACK_ERROR_BIT))
            return fail(diag, FW_ERR_UNKNOWN_FIELD, "error");
        if (a->ok && (a->present & FW_ACK_MESSAGE_BIT))
            return fail(diag, FW_ERR_UNKNOWN_FIELD, "message");
        if (!a->ok && !(a->present & FW_ACK_ERROR_BIT))
            return fail(diag, FW_ERR_MISSING_FIELD, "error");
        if (!(a->present & FW_ACK_ID_BIT) && !(a->present & FW_ACK_ERROR_BIT && a->error <= 2))
            return fail(diag, FW_ERR_MISSING_FIELD, "id"); /* only too_large/bad_json/bad_id acks lack an id */
    } else if (kind == FW_KIND_PRESENCE) {
        fw_presence_t *p = &m->presence;
        bool online = p->status == FW_PRESENCE_ONLINE;
        if (online && !(p->present & FW_PRESENCE_HEARTBEAT_BIT))
            return fail(diag, FW_ERR_MISSING_FIELD, "heartbeatS");
        if (online && !(p->present & FW_PRESENCE_FW_BIT))
            return fail(diag, FW_ERR_MISSING_FIELD, "fw");
        if (!online && (p->present & FW_PRESENCE_HEARTBEAT_BIT))
            return fail(diag, FW_ERR_UNKNOWN_FIELD, "heartbeatS");
        if (!online && (p->present & FW_PRESENCE_FW_BIT))
            return fail(diag, FW_ERR_UNKNOWN_FIELD, "fw");
        if (online && p->seq == 0)
            return fail(diag, FW_ERR_OUT_OF_RANGE, "seq"); /* seq 0 belongs to the last will */
    } else if (kind == FW_KIND_CMD && type == FW_TYPE_LIGHTBULB) {
        fw_bulb_cmd_t *c = &m->bulb_cmd;
        const uint16_t opts = FW_BULB_CMD_POWER_BIT | FW_BULB_CMD_BRIGHTNESS_BIT | FW_BULB_CMD_COLORTEMP_BIT;
        if (c->cmd == FW_BULB_SET && !(c->present & opts))
            return fail(diag, FW_ERR_MISSING_FIELD, "power");
        if (c->cmd != FW_BULB_SET && (c->present & opts))
            return fail(diag, FW_ERR_UNKNOWN_FIELD,
                        c->present & FW_BULB_CMD_POWER_BIT        ? "power"
                        : c->present & FW_BULB_CMD_BRIGHTNESS_BIT ? "brightnessPct"
                                                                  : "colorTempK");
    } else if (kind == FW_KIND_CMD && type == FW_TYPE_SOUSVIDE) {
        fw_sv_cmd_t *c = &m->sv_cmd;
        uint16_t allowed = 0;
        switch (c->cmd) {
        case FW_SV_SET:
            allowed = FW_SV_CMD_HEATER_BIT | FW_SV_CMD_TARGET_BIT;
            if (!(c->present & allowed))
                return fail(diag, FW_ERR_MISSING_FIELD, "heater");
            break;
        case FW_SV_START_PROGRAM:
            allowed = FW_SV_CMD_TARGET_BIT | FW_SV_CMD_DURATION_BIT;
            if (!(c->present & FW_SV_CMD_TARGET_BIT))
                return fail(diag, FW_ERR_MISSING_FIELD, "targetTempC");
            if (!(c->present & FW_SV_CMD_DURATION_BIT))
                return fail(diag, FW_ERR_MISSING_FIELD, "durationS");
            break;
        default: break;
        }
        uint16_t extra = (uint16_t)(c->present & ~allowed & ~(FW_BIT(0) | FW_BIT(1)));
        if (extra)
            return fail(diag, FW_ERR_UNKNOWN_FIELD,
                        extra & FW_SV_CMD_HEATER_BIT   ? "heater"
                        : extra & FW_SV_CMD_TARGET_BIT ? "targetTempC"
                                                       : "durationS");
    }
    return FW_OK;
}

/* Commands: id first (so errors can be acked under it), then the command name. */
static fw_err_t precheck_cmd(const msg_desc_t *d, fw_msg_t *m, const char *js, const json_tok_t *toks,
                             fw_diag_t *diag)
{
    int v = json_find(js, toks, 0, "id");
    if (v < 0 || decode_field(&d->fields[0], m, js, toks, v, NULL) != FW_OK)
        return fail(diag, FW_ERR_BAD_ID, "id");
    v = json_find(js, toks, 0, "cmd");
    if (v < 0)
        return fail(diag, FW_ERR_MISSING_FIELD, "cmd");
    fw_err_t e = decode_field(&d->fields[1], m, js, toks, v, NULL);
    if (e == FW_ERR_OUT_OF_RANGE)
        e = FW_ERR_UNKNOWN_CMD;
    return e == FW_OK ? FW_OK : fail(diag, e, "cmd");
}

fw_err_t fw_decode(fw_type_t type, fw_kind_t kind, const char *payload, size_t len, fw_msg_t *msg,
                   fw_diag_t *diag)
{
    if (diag)
        fail(diag, FW_OK, NULL);
    if ((unsigned)type >= FW_TYPE_COUNT || (unsigned)kind >= FW_KIND_COUNT)
        return fail(diag, FW_ERR_BAD_TOPIC, NULL);
    const msg_desc_t *d = &DESCS[type][kind];
    memset(msg, 0, d->size);
    if (len > FW_PAYLOAD_MAX)
        return fail(diag, FW_ERR_TOO_LARGE, NULL);
    json_tok_t toks[MAX_TOKENS];
    int n = json_parse(payload, len, toks, MAX_TOKENS);
    if (n < 0)
        return fail(diag, (fw_err_t)n, NULL);
    if (kind == FW_KIND_CMD) {
        fw_err_t e = precheck_cmd(d, msg, payload, toks, diag);
        if (e != FW_OK) {
            if (e != FW_ERR_BAD_ID)
                *(uint16_t *)msg = FW_BIT(0);
            return e;
        }
    }
    char id[FW_CMD_ID_MAX + 1];
    memcpy(id, msg->bulb_cmd.id, sizeof(id)); /* both command structs keep id at the same place */
    fw_err_t e = decode_obj(d, msg, payload, toks, 0, diag);
    if (e == FW_OK)
        e = check_rules(type, kind, msg, diag);
    if (e != FW_OK && kind == FW_KIND_CMD) {
        memcpy(msg->bulb_cmd.id, id, sizeof(id));
        msg->bulb_cmd.present = FW_BIT(0);
    }
    return e;
}

static void encode_obj(const msg_desc_t *d, const void *msg, json_writer_t *w)
{
    const char *base = (const char *)msg;
    uint16_t present = *(const uint16_t *)msg;
    bool first = true;
    jw_char(w, '{');
    for (int i = 0; i < d->count; i++) {
        const fd_t *f = &d->fields[i];
        if (!f->required && !(present & FW_BIT(i)))
            continue;
        if (!first)
            jw_char(w, ',');
        first = false;
        jw_char(w, '"');
        jw_raw(w, f->name);
        jw_raw(w, "\":");
        const char *src = base + f->offset;
        switch ((fd_kind_t)f->kind) {
        case FD_BOOL: jw_raw(w, *(const bool *)src ? "true" : "false"); break;
        case FD_UINT: jw_uint(w, *(const uint32_t *)src); break;
        case FD_TENTHS: jw_tenths(w, *(const int32_t *)src); break;
        case FD_ID:
        case FD_TEXT: jw_string(w, src); break;
        case FD_ENUM: {
            uint8_t v = *(const uint8_t *)src;
            jw_string(w, v < f->max ? f->names[v] : "?");
            break;
        }
        case FD_OBJECT: encode_obj(f->sub, src, w); break;
        }
    }
    jw_char(w, '}');
}

fw_err_t fw_encode(fw_type_t type, fw_kind_t kind, const fw_msg_t *msg, char *out, size_t cap, size_t *len)
{
    if ((unsigned)type >= FW_TYPE_COUNT || (unsigned)kind >= FW_KIND_COUNT)
        return FW_ERR_BAD_TOPIC;
    if (kind == FW_KIND_ACK && !msg->ack.ok && !(msg->ack.present & FW_ACK_ERROR_BIT))
        return FW_ERR_MISSING_FIELD;
    json_writer_t w;
    jw_init(&w, out, cap);
    encode_obj(&DESCS[type][kind], msg, &w);
    fw_err_t e = jw_finish(&w);
    if (len)
        *len = e == FW_OK ? w.len : 0;
    return e;
}

void fw_diag_message(const fw_diag_t *diag, char *out, size_t cap)
{
    json_writer_t w;
    jw_init(&w, out, cap);
    switch (diag->err) {
    case FW_ERR_TOO_LARGE: jw_raw(&w, "payload over 512 bytes or 64 JSON tokens"); break;
    case FW_ERR_BAD_JSON: jw_raw(&w, "payload is not one well-formed JSON object"); break;
    case FW_ERR_BAD_ID: jw_raw(&w, "id must be 1-40 characters of A-Z a-z 0-9 . _ : -"); break;
    case FW_ERR_UNKNOWN_CMD: jw_raw(&w, "cmd is not a command of this device type"); break;
    case FW_ERR_MISSING_FIELD: jw_raw(&w, "missing field "); break;
    case FW_ERR_UNKNOWN_FIELD: jw_raw(&w, "unexpected field "); break;
    case FW_ERR_BAD_TYPE: jw_raw(&w, "wrong type for "); break;
    case FW_ERR_OUT_OF_RANGE: jw_raw(&w, "value out of range for "); break;
    default: jw_raw(&w, fw_err_code(diag->err)); break;
    }
    if (diag->err <= FW_ERR_MISSING_FIELD && diag->err >= FW_ERR_OUT_OF_RANGE)
        jw_raw(&w, diag->field);
    if (w.overflow && cap > 0) {
        w.len = cap - 1;
        w.overflow = false;
    }
    jw_finish(&w);
}
