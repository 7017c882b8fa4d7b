// The chapter, compiled here once per sanitized target (see library.cc).
#include "texample.cc"
