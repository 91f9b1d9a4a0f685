/* Host fake of lwIP's socket API as the ESP8266 RTOS SDK v3.4 configures it (lwipopts.h: sockets
 * numbered from LWIP_SOCKET_OFFSET, MEMP_NUM_NETCONN of them; LWIP_COMPAT_SOCKETS maps the POSIX
 * names onto lwip_*), with lwIP's constants. */
#ifndef FAKE_LWIP_SOCKETS_H
#define FAKE_LWIP_SOCKETS_H
#include <stdint.h>
typedef uint32_t socklen_t;
#define MEMP_NUM_NETCONN 10
#define LWIP_SOCKET_OFFSET (64 - MEMP_NUM_NETCONN)
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOL_SOCKET 0xfff
#define SO_TYPE 0x1008
#define IPPROTO_TCP 6
#define TCP_NODELAY 0x01
int lwip_getsockopt(int s, int level, int optname, void *optval, socklen_t *optlen);
int lwip_setsockopt(int s, int level, int optname, const void *optval, socklen_t optlen);
#define getsockopt(s, level, optname, opval, optlen) lwip_getsockopt(s, level, optname, opval, optlen)
#define setsockopt(s, level, optname, opval, optlen) lwip_setsockopt(s, level, optname, opval, optlen)
#endif
