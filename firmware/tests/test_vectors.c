/* test_vectors.c: checks the core against every vector in tests/contracts/vectors.
 * Valid vectors decode, re-encode to their canonical form, and match "decoded"; invalid ones fail
 * with the stated error (and field). Command vectors also go through a device: valid ones are
 * acked ok, invalid ones are acked with the error and leave the state untouched. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdlib.h>

#include "check.h"
#include "device.h"
#include "fake_port.h"
#include "topic.h"

static int vectors_checked;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void snapshot(const fw_device_t *dev, char *out, size_t cap)
{
    fw_msg_t m;
    memset(&m, 0, sizeof(m));
    m.bulb_state.boot = 1;
    m.bulb_state.seq = 1;
    if (dev->type == FW_TYPE_LIGHTBULB)
        bulb_report(&dev->model.bulb, &m.bulb_state);
    else
        sousvide_report(&dev->model.sv, &m.sv_state);
    size_t len;
    CHECK(fw_encode(dev->type, FW_KIND_STATE, &m, out, cap, &len) == FW_OK);
}

static void through_device(fw_type_t type, const char *payload, size_t len, bool valid, const char *error)
{
    fake_port_t fake;
    fake_port_init(&fake);
    fw_device_t dev;
    fw_device_config_t cfg = {type, "vec-1", 1, 0, 30, 0, 1};
    CHECK(fw_device_init(&dev, &cfg, &fake.port) == FW_OK);
    fw_device_on_connect(&dev, &fake.port);
    char before[FW_REPORT_MAX], after[FW_REPORT_MAX];
    snapshot(&dev, before, sizeof(before));
    fw_err_t e = fw_device_on_command(&dev, &fake.port, payload, len);
    const fake_msg_t *ack = fake_last(&fake, "/ack");
    CHECK(ack != NULL);
    if (!ack)
        return;
    fw_msg_t m;
    CHECK(fw_decode(type, FW_KIND_ACK, ack->payload, strlen(ack->payload), &m, NULL) == FW_OK);
    if (valid) {
        CHECK(e == FW_OK && m.ack.ok);
    } else {
        snapshot(&dev, after, sizeof(after));
        CHECK(!m.ack.ok);
        CHECK_STR(fw_err_code(e), error);
        CHECK_STR(fw_err_code((fw_err_t)(-m.ack.error - 1)), error);
        CHECK_STR(before, after);
    }
}

static void check_vector(const cJSON *v, const char *file)
{
    const char *name = str(v, "name"), *topic = str(v, "topic"), *payload = str(v, "payload");
    const cJSON *valid = cJSON_GetObjectItemCaseSensitive(v, "valid");
    CHECK(name && topic && payload && cJSON_IsBool(valid));
    if (!name || !topic || !payload || !cJSON_IsBool(valid))
        return;
    vectors_checked++;
    int before = check_failures;
    bool ok = cJSON_IsTrue(valid);
    const char *error = str(v, "error");
    fw_type_t type;
    fw_kind_t kind;
    char id[FW_DEVICE_ID_MAX + 1];
    fw_err_t e = fw_topic_parse(topic, strlen(topic), &type, id, &kind);
    if (e != FW_OK) {
        CHECK(!ok && error && strcmp(error, "bad_topic") == 0);
    } else {
        /* payloads may hold NUL bytes only as \u0000 in the file, which cJSON stops at: fine for
         * our vectors, which never need them past the first NUL. */
        size_t len = strlen(payload);
        fw_msg_t msg;
        fw_diag_t diag;
        e = fw_decode(type, kind, payload, len, &msg, &diag);
        if (ok) {
            CHECK(e == FW_OK);
            if (e != FW_OK)
                fprintf(stderr, "  decode: %s (%s)\n", fw_err_code(e), diag.field);
            char out[FW_PAYLOAD_MAX + 1];
            size_t out_len = 0;
            CHECK(e != FW_OK || fw_encode(type, kind, &msg, out, sizeof(out), &out_len) == FW_OK);
            const char *canonical = str(v, "canonical") ? str(v, "canonical") : payload;
            if (e == FW_OK)
                CHECK_STR(out, canonical);
            cJSON *re = cJSON_Parse(out);
            CHECK(re && cJSON_Compare(re, cJSON_GetObjectItemCaseSensitive(v, "decoded"), true));
            cJSON_Delete(re);
        } else {
            CHECK(error != NULL);
            if (error) {
                CHECK_STR(fw_err_code(e), error);
                const char *field = str(v, "field");
                if (field)
                    CHECK_STR(diag.field, field);
            }
        }
        if (kind == FW_KIND_CMD)
            through_device(type, payload, len, ok, error ? error : "");
    }
    if (check_failures != before)
        fprintf(stderr, "  in %s: \"%s\"\n", file, name);
}

static void check_topic(const cJSON *v)
{
    const char *topic = str(v, "topic");
    CHECK(topic != NULL);
    if (!topic)
        return;
    vectors_checked++;
    int before = check_failures;
    fw_type_t type;
    fw_kind_t kind;
    char id[FW_DEVICE_ID_MAX + 1];
    fw_err_t e = fw_topic_parse(topic, strlen(topic), &type, id, &kind);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "valid"))) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(v, "decoded");
        CHECK(e == FW_OK);
        if (e == FW_OK) {
            CHECK_STR(fw_type_name(type), str(d, "type"));
            CHECK_STR(fw_kind_name(kind), str(d, "kind"));
            CHECK_STR(id, str(d, "deviceId"));
            char built[FW_TOPIC_MAX];
            CHECK(fw_topic_build(built, sizeof(built), type, id, kind) > 0);
            CHECK_STR(built, topic);
        }
    } else {
        CHECK(e == FW_ERR_BAD_TOPIC);
        CHECK_STR(str(v, "error"), "bad_topic");
    }
    if (check_failures != before)
        fprintf(stderr, "  topic vector \"%s\"\n", str(v, "name"));
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../tests/contracts/vectors";
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", dir);
        return 1;
    }
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        char *text = read_file(path);
        cJSON *doc = text ? cJSON_Parse(text) : NULL;
        CHECK(doc != NULL);
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(doc, "vectors");
        CHECK(cJSON_IsArray(vs) && cJSON_GetArraySize(vs) > 0);
        const cJSON *v;
        bool topics = strcmp(e->d_name, "topics.json") == 0;
        cJSON_ArrayForEach(v, vs)
        {
            if (topics)
                check_topic(v);
            else
                check_vector(v, e->d_name);
        }
        cJSON_Delete(doc);
        free(text);
        files++;
    }
    closedir(d);
    CHECK(files >= 9);
    printf("%d vector files, %d vectors\n", files, vectors_checked);
    return check_summary();
}
