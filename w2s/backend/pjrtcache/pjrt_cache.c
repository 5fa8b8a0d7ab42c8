// A PJRT plugin that wraps another and keeps what it compiles on disk.
//
// XLA compiles one executable per graph and input shapes, and a process
// compiles everything again: every w2s command, Slurm array task and
// notebook cell. This library is loaded as the PJRT plugin in place of the
// real one (w2s/backend does so for XLA's CPU plugin). It loads the real
// plugin ($W2S_PJRT_REAL_PLUGIN), hands out its API table with one entry
// replaced: PJRT_Client_Compile first looks for the executable in
// $W2S_PJRT_CACHE_DIR, under the SHA-256 of the real plugin's file, the
// host's CPU features, $XLA_FLAGS, the program's format and bytes (the graph and its shapes) and the compile
// options; on a hit it deserializes it (PJRT_Executable_DeserializeAndLoad),
// on a miss it compiles and serializes the result (PJRT_Executable_Serialize)
// into the folder, through a temporary file renamed into place, so
// concurrent writers never leave a half-written entry. Every entry holds the
// SHA-256 of its payload and is checked before use; a damaged or stale one
// is compiled again and replaced. w2s_pjrt_cache_stats reports hits and
// misses.
//
// Built by w2s/backend with the C compiler against go-xla's pjrt_c_api.h.

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pjrt_c_api.h"

// ---- SHA-256 (FIPS 180-4) ----

typedef struct {
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t n;
} sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(sha256* s, const uint8_t* p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init(sha256* s) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, h0, sizeof h0);
  s->len = 0, s->n = 0;
}

static void sha_add(sha256* s, const void* data, size_t n) {
  const uint8_t* p = data;
  s->len += n;
  while (n > 0) {
    size_t k = 64 - s->n < n ? 64 - s->n : n;
    memcpy(s->buf + s->n, p, k);
    s->n += k, p += k, n -= k;
    if (s->n == 64) sha_block(s, s->buf), s->n = 0;
  }
}

static void sha_done(sha256* s, uint8_t out[32]) {
  uint64_t bits = s->len * 8;
  uint8_t pad = 0x80;
  sha_add(s, &pad, 1);
  pad = 0;
  while (s->n != 56) sha_add(s, &pad, 1);
  uint8_t l[8];
  for (int i = 0; i < 8; i++) l[i] = (uint8_t)(bits >> (56 - 8 * i));
  sha_add(s, l, 8);
  for (int i = 0; i < 8; i++) out[4 * i] = s->h[i] >> 24, out[4 * i + 1] = s->h[i] >> 16, out[4 * i + 2] = s->h[i] >> 8, out[4 * i + 3] = s->h[i];
}

// ---- the wrapper ----

static const PJRT_Api* real;
static PJRT_Api api;
static char cache_dir[4096];
static uint8_t plugin_sum[32];
static int64_t hits, misses, failures;

static const char magic[8] = {'w', '2', 's', 'x', 'l', 'a', 'c', '1'};

static void destroy_error(PJRT_Error* e) {
  if (!e) return;
  PJRT_Error_Destroy_Args d = {0};
  d.struct_size = PJRT_Error_Destroy_Args_STRUCT_SIZE;
  d.error = e;
  real->PJRT_Error_Destroy(&d);
}

// read_all reads a whole file into a malloc'd buffer (NULL on failure).
static uint8_t* read_all(const char* path, size_t* n) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    close(fd);
    return NULL;
  }
  uint8_t* buf = malloc(st.st_size);
  size_t got = 0;
  while (buf && got < (size_t)st.st_size) {
    ssize_t k = read(fd, buf + got, st.st_size - got);
    if (k <= 0) {
      free(buf);
      buf = NULL;
      break;
    }
    got += k;
  }
  close(fd);
  *n = got;
  return buf;
}

static int write_all(int fd, const void* p, size_t n) {
  const uint8_t* b = p;
  while (n > 0) {
    ssize_t k = write(fd, b, n);
    if (k <= 0) return -1;
    b += k, n -= k;
  }
  return 0;
}

// entry_path is the cache file of a compile request.
static void entry_path(PJRT_Client_Compile_Args* args, char* out, size_t outn) {
  sha256 s;
  sha_init(&s);
  sha_add(&s, magic, sizeof magic);
  sha_add(&s, plugin_sum, sizeof plugin_sum);
  uint64_t n = args->program->format_size;
  sha_add(&s, &n, 8);
  sha_add(&s, args->program->format, args->program->format_size);
  n = args->program->code_size;
  sha_add(&s, &n, 8);
  sha_add(&s, args->program->code, args->program->code_size);
  n = args->compile_options_size;
  sha_add(&s, &n, 8);
  sha_add(&s, args->compile_options, args->compile_options_size);
  uint8_t sum[32];
  sha_done(&s, sum);
  char hex[65];
  for (int i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", sum[i]);
  snprintf(out, outn, "%s/%s.pjrt", cache_dir, hex);
}

// load returns 1 after loading a good entry into args->executable.
static int load(PJRT_Client_Compile_Args* args, const char* path) {
  size_t n;
  uint8_t* buf = read_all(path, &n);
  if (!buf) return 0;
  int ok = 0;
  if (n > sizeof magic + 32 && memcmp(buf, magic, sizeof magic) == 0) {
    uint8_t sum[32];
    sha256 s;
    sha_init(&s);
    sha_add(&s, buf + sizeof magic + 32, n - sizeof magic - 32);
    sha_done(&s, sum);
    if (memcmp(sum, buf + sizeof magic, 32) == 0) {
      PJRT_Executable_DeserializeAndLoad_Args d = {0};
      d.struct_size = PJRT_Executable_DeserializeAndLoad_Args_STRUCT_SIZE;
      d.client = args->client;
      d.serialized_executable = (const char*)buf + sizeof magic + 32;
      d.serialized_executable_size = n - sizeof magic - 32;
      d.overridden_serialized_compile_options = args->compile_options;
      d.overridden_serialized_compile_options_size = args->compile_options_size;
      PJRT_Error* e = real->PJRT_Executable_DeserializeAndLoad(&d);
      if (e == NULL) {
        args->executable = d.loaded_executable;
        ok = 1;
      } else {
        destroy_error(e);
      }
    }
  }
  free(buf);
  if (!ok) unlink(path);  // damaged or not loadable: compile again
  return ok;
}

// store serializes a compiled executable into path, atomically.
static void store(PJRT_LoadedExecutable* loaded, const char* path) {
  PJRT_LoadedExecutable_GetExecutable_Args g = {0};
  g.struct_size = PJRT_LoadedExecutable_GetExecutable_Args_STRUCT_SIZE;
  g.loaded_executable = loaded;
  PJRT_Error* e = real->PJRT_LoadedExecutable_GetExecutable(&g);
  if (e) {
    destroy_error(e);
    __atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
    return;
  }
  PJRT_Executable_Serialize_Args sa = {0};
  sa.struct_size = PJRT_Executable_Serialize_Args_STRUCT_SIZE;
  sa.executable = g.executable;
  e = real->PJRT_Executable_Serialize(&sa);
  if (e == NULL) {
    uint8_t sum[32];
    sha256 s;
    sha_init(&s);
    sha_add(&s, sa.serialized_bytes, sa.serialized_bytes_size);
    sha_done(&s, sum);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/.tmp-%d-%p", cache_dir, (int)getpid(), (void*)loaded);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    int bad = fd < 0;
    if (!bad) {
      bad = write_all(fd, magic, sizeof magic) || write_all(fd, sum, 32) || write_all(fd, sa.serialized_bytes, sa.serialized_bytes_size);
      bad = close(fd) != 0 || bad;
    }
    if (bad || rename(tmp, path) != 0) {
      unlink(tmp);
      __atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
    }
    if (sa.serialized_executable_deleter) sa.serialized_executable_deleter(sa.serialized_executable);
  } else {
    destroy_error(e);
    __atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
  }
  PJRT_Executable_Destroy_Args da = {0};
  da.struct_size = PJRT_Executable_Destroy_Args_STRUCT_SIZE;
  da.executable = g.executable;
  destroy_error(real->PJRT_Executable_Destroy(&da));
}

static PJRT_Error* cached_compile(PJRT_Client_Compile_Args* args) {
  char path[4200];
  entry_path(args, path, sizeof path);
  if (load(args, path)) {
    __atomic_fetch_add(&hits, 1, __ATOMIC_RELAXED);
    return NULL;
  }
  PJRT_Error* e = real->PJRT_Client_Compile(args);
  if (e == NULL) {
    __atomic_fetch_add(&misses, 1, __ATOMIC_RELAXED);
    store(args->executable, path);
  }
  return e;
}

// plugin_checksum is the SHA-256 of the real plugin's file, of $XLA_FLAGS
// (read by XLA once per process, and able to change the code it emits)
// and of the host's CPU features (/proc/cpuinfo's flags): code compiled
// for one CPU may not run on another, so entries of another plugin build,
// other flags or another kind of CPU (a shared cache on a cluster) never
// match.
static int plugin_checksum(const char* path) {
  size_t n;
  uint8_t* buf = read_all(path, &n);
  if (!buf) return -1;
  sha256 s;
  sha_init(&s);
  sha_add(&s, buf, n);
  free(buf);
  const char* flags = getenv("XLA_FLAGS");
  uint64_t fn = flags ? strlen(flags) : 0;
  sha_add(&s, &fn, 8);
  if (flags) sha_add(&s, flags, fn);
  FILE* f = fopen("/proc/cpuinfo", "r");
  if (f) {
    char line[8192];
    while (fgets(line, sizeof line, f)) {
      if (strncmp(line, "flags", 5) == 0 || strncmp(line, "Features", 8) == 0 || strncmp(line, "model name", 10) == 0) {
        sha_add(&s, line, strlen(line));
      }
      if (strncmp(line, "flags", 5) == 0 || strncmp(line, "Features", 8) == 0) break;  // the first CPU's
    }
    fclose(f);
  }
  sha_done(&s, plugin_sum);
  return 0;
}

const PJRT_Api* GetPjrtApi(void) {
  if (real) return &api;
  const char* path = getenv("W2S_PJRT_REAL_PLUGIN");
  const char* dir = getenv("W2S_PJRT_CACHE_DIR");
  if (!path || !dir || strlen(dir) >= sizeof cache_dir) {
    fprintf(stderr, "w2s pjrt cache: W2S_PJRT_REAL_PLUGIN and W2S_PJRT_CACHE_DIR must be set\n");
    return NULL;
  }
  void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "w2s pjrt cache: %s\n", dlerror());
    return NULL;
  }
  const PJRT_Api* (*get)(void) = (const PJRT_Api* (*)(void))dlsym(h, "GetPjrtApi");
  if (!get || !(real = get())) {
    fprintf(stderr, "w2s pjrt cache: %s has no PJRT API\n", path);
    return NULL;
  }
  if (plugin_checksum(path) != 0) {
    fprintf(stderr, "w2s pjrt cache: cannot read %s\n", path);
    return NULL;
  }
  strcpy(cache_dir, dir);
  mkdir(cache_dir, 0755);
  size_t n = real->struct_size < sizeof api ? real->struct_size : sizeof api;
  memcpy(&api, real, n);
  if (real->PJRT_Executable_Serialize && real->PJRT_Executable_DeserializeAndLoad) {
    api.PJRT_Client_Compile = cached_compile;
  }
  return &api;
}

// w2s_pjrt_cache_stats reports the compilations served from the cache, those
// compiled (and stored), and the entries that could not be stored.
void w2s_pjrt_cache_stats(int64_t* h, int64_t* m, int64_t* f) {
  *h = __atomic_load_n(&hits, __ATOMIC_RELAXED);
  *m = __atomic_load_n(&misses, __ATOMIC_RELAXED);
  *f = __atomic_load_n(&failures, __ATOMIC_RELAXED);
}
