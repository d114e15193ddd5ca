// zlib, seen from Swift as the module CZlib (FIXCOMP payloads, TongDaXin replies).
#include <zlib.h>
