// The libpcap API, seen from Swift as the module CPcap.
#include <pcap/pcap.h>
