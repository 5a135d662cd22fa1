# Mutation check: removes one TCB-initialisation step at a time from FiberTls and shows which
# test catches it.  Build test_fibertls first (build dir: $BUILD, default ./build);
# usage: python3 tests/fibertls/mutation_check.py [name ...]
import sys, re, subprocess, os
here=os.path.dirname(os.path.abspath(__file__))
root=os.path.dirname(os.path.dirname(here))
BUILD=os.path.abspath(os.environ.get('BUILD', root+'/build'))
OUT=BUILD+'/mutation'
sources={'FiberTls.cpp': root+'/src/context/FiberTls.cpp', 'FiberTls.hpp': root+'/src/context/FiberTls.hpp',
         'fiber_tls_test.cpp': here+'/fiber_tls_test.cpp', 'cached_tls_o2.cpp': here+'/cached_tls_o2.cpp',
         'FiberTlsTestSupport.hpp': here+'/FiberTlsTestSupport.hpp'}
muts = {
 'no_ctype_init': ('FiberTls.cpp', '    g_ctype_init();\n'),
 'no_stack_guard': ('FiberTls.cpp', '    at<std::uintptr_t>(tp, kStackGuard) = at<std::uintptr_t>(cur, kStackGuard);\n'),
 'no_ptr_guard': ('FiberTls.cpp', '    at<std::uintptr_t>(tp, kPointerGuard) = at<std::uintptr_t>(cur, kPointerGuard);\n'),
 'no_tid_refresh': ('FiberTls.hpp', '        *reinterpret_cast<int*>(tp_ + off) = *reinterpret_cast<const int*>(cur + off);\n'),
 'no_rseq': ('FiberTls.cpp', '        at<std::int32_t>(tp, L.off_rseq + 4) = -2;  // RSEQ_CPU_ID_REGISTRATION_FAILED\n'),
 'no_list_selflink': ('FiberTls.cpp', '    at<std::uintptr_t>(tp, L.off_list) = tp + L.off_list;\n    at<std::uintptr_t>(tp, L.off_list + 8) = tp + L.off_list;\n'),
 'no_specific0': ('FiberTls.cpp', '    at<std::uintptr_t>(tp, L.off_specific) = tp + L.off_specific_1st;  // first TSD block\n'),
 'no_resp': ('FiberTls.cpp', '    if (L.has_resp) at<std::uintptr_t>(tp, L.off_resp_tls) = tp + L.off_res;\n'),
 'no_robust_init': ('FiberTls.cpp', '    at<std::uintptr_t>(tp, L.off_robust_prev) = tp + L.off_robust_head;\n    at<std::uintptr_t>(tp, L.off_robust_head) = tp + L.off_robust_head;\n'),
 'no_tls_dtors': ('FiberTls.cpp', '    if (g_call_tls_dtors) g_call_tls_dtors();'),
 'no_self': ('FiberTls.cpp', '    at<std::uintptr_t>(tp, kSelf) = tp;  // THREAD_SELF, i.e. pthread_self()\n'),
}
def run(name):
  f, text = muts[name]
  d = f'{OUT}/{name}'
  os.makedirs(d+'/context', exist_ok=True)
  for x, path in sources.items():
      s = open(path).read()
      if x == f:
          assert text in s, (name, 'pattern missing')
          s = s.replace(text, '')
      open(f'{d}/context/{x}' if x.startswith('FiberTls.') else f'{d}/{x}', 'w').write(s)
  subprocess.call(f'cp {BUILD}/bin/libgrove_late_tls_dso.so {d}/', shell=True)
  subprocess.check_call(f'g++ -std=c++20 -O2 -g -pthread -fstack-protector-strong -I{d} {d}/fiber_tls_test.cpp {d}/cached_tls_o2.cpp {d}/context/FiberTls.cpp -lboost_context -lgtest -lgtest_main -ldl -o {d}/t', shell=True)
  r = subprocess.run(f'timeout 60 {d}/t 2>&1', shell=True, capture_output=True, text=True)
  fails = sorted(set(re.findall(r'\[  FAILED  \] (FiberTls\.\w+)', r.stdout)))
  tail = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ''
  print(f'{name}: rc={r.returncode} failed={fails} last="{tail[:100]}"')

for n in (sys.argv[1:] or list(muts)):
  run(n)
