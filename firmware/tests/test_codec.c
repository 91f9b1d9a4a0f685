/* test_codec.c: tokenizer, writer, topics and codec details the vectors do not pin down. */
#include "check.h"
#include "codec.h"
#include "json.h"
#include "topic.h"

static void the_tokenizer_accepts_nested_values_within_its_depth(void)
{
    json_tok_t t[16];
    const char *js = "{\"a\":[1,{\"b\":\"x\"}],\"c\":-0.5e+3}";
    int n = json_parse(js, strlen(js), t, 16);
    CHECK(n == 9);
    CHECK(json_find(js, t, 0, "c") == 8);
    CHECK(t[8].type == JSON_NUMBER && t[8].len == 7);
    CHECK(json_find(js, t, 0, "b") == -1); /* only top-level keys */
}

static void the_tokenizer_rejects_depth_and_token_overflow(void)
{
    json_tok_t t[8];
    const char *deep = "{\"a\":[[[[1]]]]}";
    CHECK(json_parse(deep, strlen(deep), t, 8) == FW_ERR_BAD_JSON);
    const char *many = "{\"a\":[1,2,3,4,5,6,7,8]}";
    CHECK(json_parse(many, strlen(many), t, 8) == FW_ERR_TOO_LARGE);
    CHECK(json_parse("{}", 2, t, 8) == 1);
    CHECK(json_parse("{} {}", 5, t, 8) == FW_ERR_BAD_JSON);
    CHECK(json_parse("{\"a\":1", 6, t, 8) == FW_ERR_BAD_JSON);
    CHECK(json_parse("{\"a\":\"\\u12\"}", 11, t, 8) == FW_ERR_BAD_JSON);
    CHECK(json_parse("{\"a\":-}", 7, t, 8) == FW_ERR_BAD_JSON);
    CHECK(json_parse("{\"a\":1.}", 8, t, 8) == FW_ERR_BAD_JSON);
    CHECK(json_parse("{\"a\":tru}", 9, t, 8) == FW_ERR_BAD_JSON);
}

static void strings_decode_escapes_and_refuse_non_ascii(void)
{
    json_tok_t t[4];
    const char *js = "{\"k\":\"a\\\"b\\\\c\\/d\\u0041\"}";
    CHECK(json_parse(js, strlen(js), t, 4) == 3);
    char out[16];
    CHECK(json_str_ascii(js, &t[2], out, sizeof(out)) == 8);
    CHECK_STR(out, "a\"b\\c/dA");
    CHECK(json_str_ascii(js, &t[2], out, 4) == -2);
    const char *nl = "{\"k\":\"a\\nb\"}";
    CHECK(json_parse(nl, strlen(nl), t, 4) == 3);
    CHECK(json_str_ascii(nl, &t[2], out, sizeof(out)) == -1);
    CHECK(json_str_eq(js, &t[1], "k"));
}

static void the_writer_stops_at_its_capacity(void)
{
    char buf[8];
    json_writer_t w;
    jw_init(&w, buf, sizeof(buf));
    jw_raw(&w, "1234567");
    CHECK(jw_finish(&w) == FW_OK);
    jw_char(&w, 'x');
    CHECK(jw_finish(&w) == FW_ERR_NO_SPACE);
    char wide[16];
    jw_init(&w, wide, sizeof(wide));
    jw_tenths(&w, -5);
    jw_char(&w, ' ');
    jw_tenths(&w, 950);
    CHECK(jw_finish(&w) == FW_OK);
    CHECK_STR(wide, "-0.5 95.0");
}

static void topics_build_and_parse_back(void)
{
    char t[FW_TOPIC_MAX];
    CHECK(fw_topic_build(t, sizeof(t), FW_TYPE_SOUSVIDE, "kitchen-1", FW_KIND_TELEMETRY) == 36);
    CHECK_STR(t, "dapriot/sousvide/kitchen-1/telemetry");
    fw_type_t type;
    fw_kind_t kind;
    char id[FW_DEVICE_ID_MAX + 1];
    CHECK(fw_topic_parse(t, strlen(t), &type, id, &kind) == FW_OK);
    CHECK(type == FW_TYPE_SOUSVIDE && kind == FW_KIND_TELEMETRY);
    CHECK_STR(id, "kitchen-1");
    CHECK(fw_topic_build(t, 10, FW_TYPE_SOUSVIDE, "kitchen-1", FW_KIND_TELEMETRY) == FW_ERR_NO_SPACE);
    CHECK(fw_topic_build(t, sizeof(t), FW_TYPE_SOUSVIDE, "kitchen/1", FW_KIND_TELEMETRY) == FW_ERR_BAD_TOPIC);
    char longest[FW_DEVICE_ID_MAX + 1];
    memset(longest, 'x', FW_DEVICE_ID_MAX);
    longest[FW_DEVICE_ID_MAX] = '\0';
    CHECK(fw_topic_build(t, sizeof(t), FW_TYPE_LIGHTBULB, longest, FW_KIND_TELEMETRY) > 0);
}

static void encoding_needs_room_and_required_fields(void)
{
    fw_msg_t m;
    memset(&m, 0, sizeof(m));
    m.bulb_state.boot = 1;
    m.bulb_state.seq = 2;
    m.bulb_state.color_temp_k = 2700;
    char out[80];
    size_t len = 0;
    CHECK(fw_encode(FW_TYPE_LIGHTBULB, FW_KIND_STATE, &m, out, sizeof(out), &len) == FW_OK);
    CHECK_STR(out, "{\"boot\":1,\"seq\":2,\"power\":false,\"brightnessPct\":0,\"colorTempK\":2700}");
    CHECK(len == strlen(out));
    CHECK(fw_encode(FW_TYPE_LIGHTBULB, FW_KIND_STATE, &m, out, 20, &len) == FW_ERR_NO_SPACE);
    memset(&m, 0, sizeof(m));
    m.ack.boot = 1;
    m.ack.seq = 1;
    CHECK(fw_encode(FW_TYPE_LIGHTBULB, FW_KIND_ACK, &m, out, sizeof(out), &len) == FW_ERR_MISSING_FIELD);
}

static void error_codes_round_trip(void)
{
    for (int e = -1; e >= -FW_ERR_WIRE_COUNT; e--) {
        const char *c = fw_err_code((fw_err_t)e);
        CHECK(fw_err_from_code(c, strlen(c)) == (fw_err_t)e);
    }
    CHECK_STR(fw_err_code(FW_OK), "ok");
    CHECK_STR(fw_err_code(FW_ERR_NO_SPACE), "internal");
    CHECK(fw_err_from_code("nope", 4) == FW_OK);
}

static void diagnostics_make_short_printable_messages(void)
{
    fw_msg_t m;
    fw_diag_t d;
    const char *cmd = "{\"id\":\"c-1\",\"cmd\":\"set\",\"brightnessPct\":101}";
    CHECK(fw_decode(FW_TYPE_LIGHTBULB, FW_KIND_CMD, cmd, strlen(cmd), &m, &d) == FW_ERR_OUT_OF_RANGE);
    CHECK_STR(m.bulb_cmd.id, "c-1");
    char msg[FW_TEXT_MAX + 1];
    fw_diag_message(&d, msg, sizeof(msg));
    CHECK_STR(msg, "value out of range for brightnessPct");
    const char *evil = "{\"id\":\"c-1\",\"cmd\":\"set\",\"a\\\"b\\\\c<>%s\":1}";
    CHECK(fw_decode(FW_TYPE_LIGHTBULB, FW_KIND_CMD, evil, strlen(evil), &m, &d) == FW_ERR_UNKNOWN_FIELD);
    CHECK_STR(d.field, "abcs");
    fw_diag_message(&d, msg, 10);
    CHECK(strlen(msg) == 9);
}

int main(void)
{
    RUN(the_tokenizer_accepts_nested_values_within_its_depth);
    RUN(the_tokenizer_rejects_depth_and_token_overflow);
    RUN(strings_decode_escapes_and_refuse_non_ascii);
    RUN(the_writer_stops_at_its_capacity);
    RUN(topics_build_and_parse_back);
    RUN(encoding_needs_room_and_required_fields);
    RUN(error_codes_round_trip);
    RUN(diagnostics_make_short_printable_messages);
    return check_summary();
}
