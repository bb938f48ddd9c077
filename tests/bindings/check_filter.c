/* The C test program of lexset-filter's C ABI (filter-c/include/lexset_filter.h), run by
 * test_c.py against a real lexset server:
 *
 *   check_filter verify ARTIFACT MANIFEST PUBLIC_KEY < texts   the hits of each text line
 *   check_filter tampered ARTIFACT MANIFEST PUBLIC_KEY         a changed byte is refused
 *   check_filter follow SERVER TOKEN PUBLIC_KEY CACHE_DIR N    build N, then the next, live
 *
 * Hits print as: line index, term, risks, byte start, byte end, char start, char end (tabs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lexset_filter.h"

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *file = fopen(path, "rb");
  if (!file) { perror(path); exit(2); }
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  /* One more byte, a NUL, so the manifest can be searched as a string. */
  unsigned char *bytes = malloc((size_t)size + 1);
  if (fread(bytes, 1, (size_t)size, file) != (size_t)size) { perror(path); exit(2); }
  bytes[size] = 0;
  fclose(file);
  *len = (size_t)size;
  return bytes;
}

static int fail(const char *what, LexsetError *error) {
  fprintf(stderr, "%s: %s (kind %d)\n", what, lexset_error_message(error), (int)lexset_error_kind(error));
  lexset_error_free(error);
  return 1;
}

static void print_hits(size_t line, const LexsetHits *hits) {
  for (size_t i = 0; i < hits->len; i++) {
    const LexsetHit *hit = &hits->items[i];
    printf("%zu\t%s\t%s\t%zu\t%zu\t%zu\t%zu\n", line, hit->term, hit->risks, hit->byte_start,
           hit->byte_end, hit->char_start, hit->char_end);
  }
}

static int verify(const char *artifact, const char *manifest, const char *key) {
  LexsetError *error = NULL;
  const char *keys[] = {key};
  LexsetFilter *filter = lexset_filter_load_verified_files(artifact, manifest, keys, 1, &error);
  if (!filter) return fail("load", error);
  char line[65536];
  size_t index = 0;
  while (fgets(line, sizeof line, stdin)) {
    size_t len = strcspn(line, "\n");
    LexsetHits *hits = lexset_filter_find(filter, line, len, &error);
    if (!hits) return fail("find", error);
    print_hits(index++, hits);
    lexset_hits_free(hits);
  }
  lexset_filter_free(filter);
  return 0;
}

/* Expects `kind` from loading artifact + manifest with `key`; prints what was refused. */
static int expect_refused(const char *what, const unsigned char *artifact, size_t artifact_len,
                          const unsigned char *manifest, size_t manifest_len, const char *key,
                          LexsetErrorKind kind) {
  LexsetError *error = NULL;
  const char *keys[] = {key};
  LexsetFilter *filter =
      lexset_filter_load_verified(artifact, artifact_len, manifest, manifest_len, keys, 1, &error);
  if (filter) {
    fprintf(stderr, "%s: loaded, but should have been refused\n", what);
    lexset_filter_free(filter);
    return 1;
  }
  int wrong = lexset_error_kind(error) != kind;
  printf("%s refused: %s\n", what, lexset_error_message(error));
  if (wrong) fprintf(stderr, "%s: kind %d, expected %d\n", what, (int)lexset_error_kind(error), (int)kind);
  lexset_error_free(error);
  return wrong;
}

static int tampered(const char *artifact_path, const char *manifest_path, const char *key) {
  size_t artifact_len, manifest_len;
  unsigned char *artifact = read_file(artifact_path, &artifact_len);
  unsigned char *manifest = read_file(manifest_path, &manifest_len);
  LexsetError *error = NULL;
  const char *keys[] = {key};
  LexsetFilter *good = lexset_filter_load_verified(artifact, artifact_len, manifest, manifest_len, keys, 1, &error);
  if (!good) return fail("the untouched build", error);
  lexset_filter_free(good);

  int failures = 0;
  artifact[artifact_len / 2] ^= 1;
  failures += expect_refused("a changed artefact byte", artifact, artifact_len, manifest, manifest_len, key,
                             LEXSET_ERROR_KIND_ARTIFACT_MISMATCH);
  artifact[artifact_len / 2] ^= 1;
  /* The payload's first base64 character changed: the signed bytes differ. */
  unsigned char *payload = (unsigned char *)strstr((char *)manifest, "\"payload\":\"");
  if (!payload) { fprintf(stderr, "no payload in the manifest\n"); return 1; }
  payload += strlen("\"payload\":\"");
  *payload = *payload == 'e' ? 'f' : 'e';
  failures += expect_refused("a changed manifest", artifact, artifact_len, manifest, manifest_len, key,
                             LEXSET_ERROR_KIND_BAD_SIGNATURE);
  free(artifact);
  free(manifest);
  /* Garbage in: an error, never a crash. */
  LexsetFilter *none = lexset_filter_load((const uint8_t *)"GIF89a", 6, &error);
  if (none || lexset_error_kind(error) != LEXSET_ERROR_KIND_ARTIFACT) failures++;
  lexset_error_free(error);
  return failures != 0;
}

static long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int follow(const char *server, const char *token, const char *key, const char *cache_dir,
                  unsigned long long first) {
  LexsetError *error = NULL;
  const char *keys[] = {key};
  LexsetUpdater *updater = lexset_updater_start(server, token, keys, 1, cache_dir, &error);
  if (!updater) return fail("updater", error);
  if (!lexset_updater_wait_for_build(updater, first, 30000)) {
    fprintf(stderr, "build %llu did not arrive\n", first);
    return 1;
  }
  printf("ready %llu\n", (unsigned long long)lexset_updater_build_number(updater));
  fflush(stdout);
  if (!lexset_updater_wait_for_build(updater, first + 1, 30000)) {
    fprintf(stderr, "no newer build arrived\n");
    return 1;
  }
  long long at = now_ms();
  const char *text = "今天天气很好";
  LexsetHits *hits = lexset_updater_find(updater, text, strlen(text), &error);
  if (!hits) return fail("find", error);
  printf("switched %llu %lld %zu\n", (unsigned long long)hits->build_number, at, hits->len);
  lexset_hits_free(hits);
  lexset_updater_free(updater);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "verify") == 0) return verify(argv[2], argv[3], argv[4]);
  if (argc == 5 && strcmp(argv[1], "tampered") == 0) return tampered(argv[2], argv[3], argv[4]);
  if (argc == 7 && strcmp(argv[1], "follow") == 0)
    return follow(argv[2], argv[3], argv[4], argv[5], strtoull(argv[6], NULL, 10));
  fprintf(stderr, "usage: see the comment at the top of check_filter.c\n");
  return 2;
}
