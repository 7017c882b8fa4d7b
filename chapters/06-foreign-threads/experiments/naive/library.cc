// The library, compiled here once per target: node-gyp puts the objects of sources outside this
// folder in one place for every target, so each sanitized build would overwrite the others'.
#include "library/feed.cc"
