// ODR test: this TU includes everything graft ships, and is linked with the header-check TUs (one
// per torch-free header, plus one that includes the graft/torch/ headers and <graft/graft.hpp>).
// Any namespace-scope definition in a header that is not inline (or a static in an inline context
// that differs between TUs) shows up as a duplicate symbol at link time.
// Built without LibTorch, the program is the torch-free TUs and this one, which includes <graft/core.hpp>.
#if GRAFT_ODR_WITH_TORCH
#include <graft/graft.hpp>
#else
#include <graft/core.hpp>
#endif

int main() {
  (void)graft::rules::installed_rules_dirs();
  return 0;
}
