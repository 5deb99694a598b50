#!/usr/bin/env python3
"""Dev aid: groups a callgrind profile of node by kind of work (self instruction counts)."""
import re, subprocess, sys
out = subprocess.run(['callgrind_annotate', '--threshold=100', sys.argv[1]], capture_output=True, text=True).stdout
cats = {}
total = 0
for line in out.splitlines():
    m = re.match(r'\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)', line)
    if not m or 'PROGRAM TOTALS' in line: continue
    ir = int(m.group(1).replace(',', '')); name = m.group(2)
    if name.startswith('???:0x'): c = 'JIT code (optimized/baseline)'
    elif 'compiler::' in name or 'Turbofan' in name or 'turboshaft' in name.lower(): c = 'TurboFan compiler'
    elif re.search(r'Scaveng|MarkCompact|Sweeper|Heap::|Marking|Evacuat|heap::|GCTracer|MemoryAllocator|ConcurrentMarking|RememberedSet|SlotSet', name): c = 'GC'
    elif re.search(r'Builtins_(Load|Store|KeyedLoad|KeyedStore|Define|Has)\w*IC', name): c = 'IC handlers (unoptimized code)'
    elif 'Builtins_' in name and re.search(r'Interpreter|Bytecode|Handler', name): c = 'interpreter'
    elif 'Builtins_' in name: c = 'other builtins'
    elif re.search(r'Parser|Scanner|Preparse|AstNode|BytecodeGenerator|interpreter::', name): c = 'parse + bytecode'
    elif re.search(r'baseline::|Baseline', name): c = 'baseline compiler'
    elif re.search(r'malloc|free|memset|memcpy|memmove', name): c = 'libc mem'
    elif re.search(r'ossl|OPENSSL|crypto|ssl', name): c = 'openssl (startup)'
    elif 'v8::internal::Runtime_' in name or 'Runtime' in name: c = 'runtime'
    else: c = 'other'
    cats[c] = cats.get(c, 0) + ir
    total += ir
for c, ir in sorted(cats.items(), key=lambda x: -x[1]):
    print(f'{ir/1e6:10.1f} M  {ir*100/total:5.1f}%  {c}')
print(f'{total/1e6:10.1f} M  total')
