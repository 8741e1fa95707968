#pragma once

#include <string>
#include <string_view>

#include "net/address.h"

namespace sluice {

// The PROXY protocol header (HAProxy's specification, versions 1 and 2) that tells a backend
// who the client really is, sent before any of the client's bytes.

// Version 1, text: `PROXY TCP4 <src> <dst> <sport> <dport>\r\n`; `PROXY UNKNOWN\r\n` when the
// two addresses are of different families, as the specification requires.
void appendProxyV1(const SocketAddress& source, const SocketAddress& destination, std::string& out);

// Version 2, binary, command PROXY over TCP. Addresses of different families are both sent as
// IPv6 (IPv4-mapped). Non-empty `authority` (the client's SNI) and `alpn` (the client's first
// offered protocol: passthrough cannot know which one the backend will choose) are added as
// PP2_TYPE_AUTHORITY and PP2_TYPE_ALPN TLVs.
void appendProxyV2(const SocketAddress& source, const SocketAddress& destination,
                   std::string_view authority, std::string_view alpn, std::string& out);

}  // namespace sluice
