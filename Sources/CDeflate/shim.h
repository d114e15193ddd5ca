// libdeflate, seen from Swift as the module CDeflate: whole-buffer zlib inflation for TongDaXin
// replies, about twice zlib's speed (zlib stays for streams and for telling why a body failed).
#include <libdeflate.h>
