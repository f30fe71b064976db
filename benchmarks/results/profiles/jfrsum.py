# Summarises JFR execution samples: python3 jfrsum.py profile.jfr <Class.method that must be on the stack> [topN] [method whose callers to list]
import json, subprocess, sys, collections
f = sys.argv[1]; must = sys.argv[2]; top_n = int(sys.argv[3]) if len(sys.argv) > 3 else 20
out = subprocess.run(['jfr','print','--json','--stack-depth','64','--events','jdk.ExecutionSample',f],capture_output=True,text=True).stdout
ev = json.loads(out)['recording']['events']
def name(x): m = x['method']; return m['type']['name'].split('/')[-1] + '.' + m['name']
selfc = collections.Counter(); selfm = collections.Counter(); incl = collections.Counter(); n = 0
for e in ev:
    fr = e['values']['stackTrace']['frames']
    if not fr or not any(name(x).endswith(must) for x in fr): continue
    n += 1
    top = fr[0]; selfc[name(top) + ':' + str(top['lineNumber'])] += 1; selfm[name(top)] += 1
    for m in set(name(x) for x in fr): incl[m] += 1
print('samples', n, '(stacks through', must + ')')
for k, v in selfm.most_common(top_n): print('  self %5.1f%% %s' % (100*v/n, k))
print('  by line:')
for k, v in selfc.most_common(top_n): print('  self %5.1f%% %s' % (100*v/n, k))
print('  inclusive:')
for k, v in incl.most_common(top_n+8): print('  incl %5.1f%% %s' % (100*v/n, k))
if len(sys.argv) > 4:
    target = sys.argv[4]
    par = collections.Counter(); t = 0
    for e in ev:
        fr = e['values']['stackTrace']['frames']
        if not fr or not any(name(x).endswith(must) for x in fr): continue
        if name(fr[0]).endswith(target):
            t += 1
            # first frame that is not the target itself
            for x in fr[1:]:
                if not name(x).endswith(target) and not name(x).startswith('StringLatin1'):
                    par[name(x) + ':' + str(x['lineNumber'])] += 1; break
    print('  callers of', target, '(share of all samples):')
    for k, v in par.most_common(8): print('  %5.1f%% %s' % (100*v/n, k))
