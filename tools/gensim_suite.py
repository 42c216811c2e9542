"""Run gensim's own KeyedVectors and Word2Vec tests with rnnfast's classes in place of
gensim's, and report how many pass.

    python tools/gensim_suite.py [GENSIM_TEST_DIR] [-- pytest arguments]

GENSIM_TEST_DIR defaults to the installed gensim's `gensim/test` (gensim and
testfixtures are needed for this tool only, never by rnnfast). The tests are copied to
a temporary folder whose conftest.py points gensim's `Word2Vec` and `KeyedVectors`
names at rnnfast's before the modules import them. Left out, as #33 defines the
measure: tests that load gensim's own pickled model files (rnnfast reads those through
`load_gensim`, tested in rnnfast's suite), LineSentence's and the command-line
scripts' tests.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

MODULES = ("test_keyedvectors.py", "test_word2vec.py")

LEFT_OUT = (
    # gensim's pickled files
    "Gensim320Test", "test_load_old_model", "test_persistence_backwards_compatible",
    "test_load_on_class_error",
    # LineSentence and PathLineSentences, and the scripts
    "TestWord2VecSentenceIterators", "TestWord2VecScripts",
)

CONFTEST = '''
import gensim.models
import gensim.models.keyedvectors
import gensim.models.word2vec
import rnnfast

for module in (gensim.models, gensim.models.word2vec):
    module.Word2Vec = rnnfast.Word2Vec
for module in (gensim.models, gensim.models.keyedvectors, gensim.models.word2vec):
    module.KeyedVectors = rnnfast.KeyedVectors
'''


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    if argv:
        source = argv[0]
    else:
        import gensim
        source = os.path.join(os.path.dirname(gensim.__file__), "test")
    with tempfile.TemporaryDirectory() as work:
        for name in MODULES:
            shutil.copy(os.path.join(source, name), work)
        with open(os.path.join(work, "conftest.py"), "w") as f:
            f.write(CONFTEST)
        selection = " and ".join(f"not {name}" for name in LEFT_OUT)
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "-k", selection, "-rf", *extra, *MODULES], cwd=work,
                              capture_output=True, text=True)
    print(done.stdout[-20000:])
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|error|errors)",
                                               done.stdout.splitlines()[-1])}
    passed, failed = counts.get("passed", 0), counts.get("failed", 0) + \
        counts.get("error", 0) + counts.get("errors", 0)
    total = passed + failed
    print(f"gensim's tests with rnnfast's classes: {passed} of {total} pass "
          f"({100 * passed / max(total, 1):.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
