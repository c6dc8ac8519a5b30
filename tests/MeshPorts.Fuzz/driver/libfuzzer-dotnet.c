// A libFuzzer driver for a .NET fuzz target (SharpFuzz's Fuzzer.LibFuzzer.Run), written for MeshPorts.
// libFuzzer mutates in this process; the managed target runs as one long-lived child. Per input:
// the input goes into shared memory after SharpFuzz's 64 KiB edge map, its length down the control
// pipe, and the child answers with a status (0 ok, anything else an escaped exception). The child's
// edge map is copied into libFuzzer's extra counters, so libFuzzer sees the managed coverage.
// Target: MESHPORTS_FUZZ_DLL (the fuzz program) and MESHPORTS_FUZZ_TARGET (which target), run as
// `dotnet DLL run TARGET`. Build: clang -O1 -fsanitize=fuzzer libfuzzer-dotnet.c -o libfuzzer-dotnet
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

// SharpFuzz's edge map size (Fuzzer.MapSize).
#define MAP_SIZE (1 << 16)
// The largest input the shared memory holds; fuzz.sh passes -max_len below it.
#define MAX_INPUT (1 << 20)

// Kept (used) although nothing here reads it: libFuzzer finds it by its section.
__attribute__((used, section("__libfuzzer_extra_counters"))) uint8_t counters[MAP_SIZE];

static uint8_t *shared;
static int control_fd = -1;
static int status_fd = -1;
static pid_t child = -1;

static void die(const char *what) {
  fprintf(stderr, "libfuzzer-dotnet: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int write_all(int fd, const void *buf, size_t n) {
  const uint8_t *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, void *buf, size_t n) {
  uint8_t *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

// The child is gone or broke the protocol: say how, and abort so libFuzzer keeps the input.
static void child_failed(void) {
  int wstatus = 0;
  if (child > 0 && waitpid(child, &wstatus, WNOHANG) == child) {
    if (WIFEXITED(wstatus)) fprintf(stderr, "libfuzzer-dotnet: the target exited with %d\n", WEXITSTATUS(wstatus));
    if (WIFSIGNALED(wstatus)) fprintf(stderr, "libfuzzer-dotnet: the target died of signal %d\n", WTERMSIG(wstatus));
  } else {
    fprintf(stderr, "libfuzzer-dotnet: the target stopped answering\n");
  }
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *dll = getenv("MESHPORTS_FUZZ_DLL");
  const char *target = getenv("MESHPORTS_FUZZ_TARGET");
  if (dll == NULL || target == NULL) {
    fprintf(stderr, "libfuzzer-dotnet: set MESHPORTS_FUZZ_DLL and MESHPORTS_FUZZ_TARGET (scripts/fuzz.sh does)\n");
    exit(2);
  }

  int id = shmget(IPC_PRIVATE, MAP_SIZE + MAX_INPUT, IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) die("shmget");
  shared = shmat(id, NULL, 0);
  if (shared == (void *)-1) die("shmat");

  int control[2], status[2];
  if (pipe(control) != 0 || pipe(status) != 0) die("pipe");
  char text[32];
  snprintf(text, sizeof text, "%d", id);
  setenv("__LIBFUZZER_SHM_ID", text, 1);
  snprintf(text, sizeof text, "%d", control[0]);
  setenv("__LIBFUZZER_CONTROL_PIPE_ID", text, 1);
  snprintf(text, sizeof text, "%d", status[1]);
  setenv("__LIBFUZZER_STATUS_PIPE_ID", text, 1);

  child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    // The target must not outlive the fuzzer (a libFuzzer timeout kills only this process).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(control[1]);
    close(status[0]);
    execlp("dotnet", "dotnet", dll, "run", target, (char *)NULL);
    fprintf(stderr, "libfuzzer-dotnet: cannot run dotnet: %s\n", strerror(errno));
    _exit(127);
  }

  close(control[0]);
  close(status[1]);
  control_fd = control[1];
  status_fd = status[0];
  int32_t ready;
  if (read_all(status_fd, &ready, sizeof ready) != 0 || ready != 0) child_failed();
  // Attached by both now: the segment goes away with the last of them.
  shmctl(id, IPC_RMID, NULL);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > MAX_INPUT) return -1;
  memset(shared, 0, MAP_SIZE);
  memcpy(shared + MAP_SIZE, data, size);
  int32_t length = (int32_t)size;
  if (write_all(control_fd, &length, sizeof length) != 0) child_failed();
  int32_t result;
  if (read_all(status_fd, &result, sizeof result) != 0) child_failed();
  memcpy(counters, shared, MAP_SIZE);
  if (result != 0) {
    fprintf(stderr, "libfuzzer-dotnet: the target threw (status %d); the exception is above\n", result);
    abort();
  }
  return 0;
}
