# Mutation check: removes one TCB-initialisation step at a time from FiberTls and shows which
# test catches it.  Run `make` first; usage: python3 mutation_check.py [name ...]
import sys, re, subprocess, os
src=os.path.dirname(os.path.abspath(__file__))+'/'
OUT=os.environ.get('OUT','/tmp/tls_build')
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
  d = f'{OUT}/mut/{name}'
  os.makedirs(d, exist_ok=True)
  for x in os.listdir(src):
      if x.endswith(('.cpp','.hpp')):
          s = open(src+x).read()
          if x == f:
              assert text in s, (name, 'pattern missing')
              s = s.replace(text, '')
          open(f'{d}/{x}','w').write(s)
  b=OUT; subprocess.call(f'cp {b}/libtls_proto_dso.so {d}/', shell=True)
  subprocess.check_call(f'g++ -std=c++20 -O2 -g -pthread -fstack-protector-strong {d}/tls_proto_test.cpp {d}/FiberTls.cpp {b}/tls_proto_o2.o -lboost_context -lgtest -lgtest_main -ldl -o {d}/t', shell=True)
  r = subprocess.run(f'cd {b} && timeout 60 {d}/t 2>&1', shell=True, capture_output=True, text=True)
  fails = sorted(set(re.findall(r'\[  FAILED  \] (FiberTls\.\w+)', r.stdout)))
  tail = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ''
  print(f'{name}: rc={r.returncode} failed={fails} last="{tail[:100]}"')

for n in (sys.argv[1:] or list(muts)):
  run(n)
