set -e
out="${TMPDIR:-/tmp}/tests.bin"
g++ -std=c++17 -O1 -Wall -o "$out" workspace/*.cpp tests/*.cpp
exec "$out"
