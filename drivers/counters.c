/* --counters: names only for now; every value is null (see counters.h). */
#include "drivers/counters.h"

#include <stdlib.h>
#include <string.h>

#define COUNTERS_NOTE "perf counters arrive with the drivers issue"

int counters_parse(const char *list, struct counter_set *s, char *why,
                   size_t len)
{
    const char *p = list;

    memset(s, 0, sizeof(*s));
    for (;;) {
        size_t n = strcspn(p, ",");

        if (n == 0) {
            snprintf(why, len, "empty event name in --counters '%s'", list);
            goto fail;
        }
        if (s->n == COUNTERS_MAX) {
            snprintf(why, len, "more than %d events in --counters", COUNTERS_MAX);
            goto fail;
        }
        s->names[s->n] = strndup(p, n);
        if (!s->names[s->n]) {
            snprintf(why, len, "out of memory");
            goto fail;
        }
        s->n++;
        if (!p[n])
            return 0;
        p += n + 1;
    }
fail:
    counters_free(s);
    return -1;
}

void counters_free(struct counter_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->names[i]);
    s->n = 0;
}

void counters_report(const struct counter_set *s, json_t *root)
{
    json_t *c = json_object();

    for (size_t i = 0; i < s->n; i++)
        json_object_set_new(c, s->names[i], json_null());
    json_object_set_new(root, "counters", c);
    json_object_set_new(root, "counters_note", json_string(COUNTERS_NOTE));
}
