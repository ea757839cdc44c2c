/*
 * call_trace.c - see call_trace.h.
 */
#include "call_trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { TIMELINE_ROWS = 40 };

void call_trace_init(struct call_trace *trace, double run_started, bool with_jobs)
{
    *trace = (struct call_trace){.run_started = run_started, .with_jobs = with_jobs};
}

struct call_record *call_trace_started(struct call_trace *trace, long index, double now)
{
    if (index < 0)
        return NULL;
    if (index >= trace->capacity) {
        /* Doubling: a run of N calls grows the array log2(N) times, not N times. */
        long capacity = trace->capacity > 0 ? trace->capacity : 64;
        while (capacity <= index)
            capacity *= 2;
        struct call_record *grown = realloc(trace->records, (size_t)capacity * sizeof *grown);
        if (grown == NULL)
            return NULL;
        trace->records = grown;
        trace->capacity = capacity;
    }
    /* Calls a client never started (it stopped at a dead server) stay empty rows. */
    for (long i = trace->count; i <= index; i++)
        trace->records[i] = (struct call_record){.started = -1, .ended = -1, .job = -1};
    if (index >= trace->count)
        trace->count = index + 1;
    struct call_record *record = &trace->records[index];
    *record = (struct call_record){.started = now - trace->run_started, .ended = -1, .job = -1};
    return record;
}

void call_trace_ended(struct call_trace *trace, long index, double now, long status, bool ok,
                      const char *failure)
{
    if (index < 0 || index >= trace->count || trace->records[index].started < 0)
        return;
    struct call_record *record = &trace->records[index];
    record->ended = now - trace->run_started;
    record->status = status;
    record->ok = ok;
    snprintf(record->failure, sizeof record->failure, "%s", ok || failure == NULL ? "" : failure);
}

/* A CSV field in quotes: quotes doubled, control bytes (a server's words may hold
 * any) shown as spaces so that one call stays one line. */
static void write_quoted(FILE *out, const char *text)
{
    fputc('"', out);
    for (const char *at = text; *at != '\0'; at++) {
        if (*at == '"')
            fputs("\"\"", out);
        else
            fputc((unsigned char)*at < 0x20 ? ' ' : *at, out);
    }
    fputc('"', out);
}

bool call_trace_write_csv(const struct call_trace *trace, const char *path, char *error,
                          size_t error_size)
{
    FILE *out = fopen(path, "w");
    if (out == NULL) {
        snprintf(error, error_size, "cannot write the trace to '%s': %s", path, strerror(errno));
        return false;
    }
    fprintf(out, "call,start_ms,end_ms,status,result%s\n",
            trace->with_jobs ? ",job,service,kind" : "");
    for (long i = 0; i < trace->count; i++) {
        const struct call_record *record = &trace->records[i];
        if (record->started < 0)
            continue; /* never started: nothing to draw */
        fprintf(out, "%ld,%.3f,", i + 1, record->started * 1000);
        if (record->ended >= 0)
            fprintf(out, "%.3f", record->ended * 1000);
        fprintf(out, ",%ld,", record->status);
        write_quoted(out, record->ended < 0 ? "never ended" : record->ok ? "ok" : record->failure);
        if (trace->with_jobs) {
            fputc(',', out);
            if (record->job >= 0)
                fprintf(out, "%ld", record->job);
            fprintf(out, ",%s,%s", record->service ? record->service : "",
                    record->kind ? record->kind : "");
        }
        fputc('\n', out);
    }
    bool written = ferror(out) == 0;
    if (fclose(out) != 0 || !written) {
        snprintf(error, error_size, "cannot write the trace to '%s': %s", path, strerror(errno));
        return false;
    }
    return true;
}

void call_trace_print_timeline(const struct call_trace *trace, FILE *out, int width,
                               double run_seconds)
{
    double last_end = 0;
    long started = 0;
    for (long i = 0; i < trace->count; i++) {
        const struct call_record *record = &trace->records[i];
        if (record->started < 0)
            continue;
        started++;
        double end = record->ended >= 0 ? record->ended : run_seconds;
        if (end > last_end)
            last_end = end;
    }
    if (started == 0) {
        fprintf(out, "timeline: no call was made\n");
        return;
    }
    /* "call 1000 |" + bar + "| 12.345-12.567 s" */
    int bar_width = width - 11 - 18;
    if (bar_width < 10)
        bar_width = 10;
    if (bar_width > 200)
        bar_width = 200;
    double seconds_per_column = last_end > 0 ? last_end / bar_width : 1;
    fprintf(out,
            "timeline: %ld calls over %.3f s, one column = %.3f s ('#' ok, 'x' failed, "
            "'>' never ended)\n",
            started, last_end, seconds_per_column);
    long shown = 0;
    double hidden_first = -1, hidden_last = 0;
    for (long i = 0; i < trace->count; i++) {
        const struct call_record *record = &trace->records[i];
        if (record->started < 0)
            continue;
        double end = record->ended >= 0 ? record->ended : last_end;
        if (shown == TIMELINE_ROWS) {
            if (hidden_first < 0 || record->started < hidden_first)
                hidden_first = record->started;
            if (end > hidden_last)
                hidden_last = end;
            continue;
        }
        int from = (int)(record->started / seconds_per_column);
        int to = (int)(end / seconds_per_column + 0.999);
        if (from >= bar_width)
            from = bar_width - 1;
        if (to <= from)
            to = from + 1; /* a call too short to see still gets its column */
        if (to > bar_width)
            to = bar_width;
        char mark = record->ended < 0 ? '>' : record->ok ? '#' : 'x';
        char bar[201];
        memset(bar, ' ', (size_t)bar_width);
        memset(bar + from, mark, (size_t)(to - from));
        bar[bar_width] = '\0';
        fprintf(out, "call %5ld |%s| %.3f-%.3f s\n", i + 1, bar, record->started, end);
        shown++;
    }
    if (started > shown)
        fprintf(out, "... and %ld more calls, between %.3f and %.3f s\n", started - shown,
                hidden_first, hidden_last);
}

void call_trace_free(struct call_trace *trace)
{
    free(trace->records);
    *trace = (struct call_trace){0};
}
