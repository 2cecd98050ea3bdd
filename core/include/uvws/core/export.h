/// @file
/// UVWS_EXPORT: what libuvws.so exports.
///
/// uvws is compiled with hidden symbol visibility (-fvisibility=hidden), so a shared libuvws
/// exports only the classes and functions of the public headers marked UVWS_EXPORT; private
/// code (ws/src, net/src) and the llhttp folded into the library stay internal. The same mark
/// is harmless in the static library.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
/// Marks a class or function of the public API as exported from libuvws.so.
#define UVWS_EXPORT __attribute__((visibility("default")))
#else
#define UVWS_EXPORT
#endif
