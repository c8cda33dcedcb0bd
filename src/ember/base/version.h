// The version of this build of Ember, in one place: CMake's project(VERSION) writes it into
// version.cc (generated from version.cc.in). Saved models, the HTTP client's User-Agent,
// the server's Server header and `ember --version` all read it from here.
#pragma once

namespace ember {

// "0.1.0".
const char* EmberVersion();

}  // namespace ember
