#pragma once
/// \file
/// The pickle opcodes (protocols 0–5) by name, shared by the restricted unpickler and the pickle
/// emitter, and a table of their names (as Python's pickletools spells them) for messages. Naming an
/// opcode here does not make the unpickler accept it: see pickle/machine.hpp for the ones it runs.

#include <cstdint>

namespace graft::io {

/// A pickle opcode: the byte that starts an instruction. Names follow pickletools, in lower case
/// (`int_`, `long_`, `float_` where the name is a C++ keyword).
enum class pickle_op : std::uint8_t {
  // protocol 0 and 1
  mark = '(',             ///< MARK: push a mark
  stop = '.',             ///< STOP: the pickle's end; its value is the top of the stack
  pop = '0',              ///< POP: discard the top value
  pop_mark = '1',         ///< POP_MARK: discard everything down to the last mark
  dup = '2',              ///< DUP: push the top value again
  float_ = 'F',           ///< FLOAT: a float as a text line
  int_ = 'I',             ///< INT: an int as a text line
  binint = 'J',           ///< BININT: a signed 4-byte int
  binint1 = 'K',          ///< BININT1: an unsigned 1-byte int
  long_ = 'L',            ///< LONG: a long as a text line
  binint2 = 'M',          ///< BININT2: an unsigned 2-byte int
  none = 'N',             ///< NONE: None
  persid = 'P',           ///< PERSID: a persistent id as a text line
  binpersid = 'Q',        ///< BINPERSID: a persistent id from the stack
  reduce = 'R',           ///< REDUCE: call a callable with an argument tuple
  string = 'S',           ///< STRING: a quoted str as a text line
  binstring = 'T',        ///< BINSTRING: a str with a 4-byte length
  short_binstring = 'U',  ///< SHORT_BINSTRING: a str with a 1-byte length
  unicode = 'V',          ///< UNICODE: a raw-unicode-escaped text line
  binunicode = 'X',       ///< BINUNICODE: UTF-8 with a 4-byte length
  append = 'a',           ///< APPEND: append the top value to the list below it
  build = 'b',            ///< BUILD: set an object's state
  global = 'c',           ///< GLOBAL: a module and a name as two text lines
  dict = 'd',             ///< DICT: a dict of the key/value pairs above the last mark
  empty_dict = '}',       ///< EMPTY_DICT: {}
  appends = 'e',          ///< APPENDS: extend the list below the last mark
  get = 'g',              ///< GET: memo lookup, key as a text line
  binget = 'h',           ///< BINGET: memo lookup, 1-byte key
  inst = 'i',             ///< INST: build an instance of a class named by text lines
  long_binget = 'j',      ///< LONG_BINGET: memo lookup, 4-byte key
  list = 'l',             ///< LIST: a list of the values above the last mark
  empty_list = ']',       ///< EMPTY_LIST: []
  obj = 'o',              ///< OBJ: build an instance of a class on the stack
  put = 'p',              ///< PUT: memo store, key as a text line
  binput = 'q',           ///< BINPUT: memo store, 1-byte key
  long_binput = 'r',      ///< LONG_BINPUT: memo store, 4-byte key
  setitem = 's',          ///< SETITEM: store one key/value pair in the dict below them
  tuple = 't',            ///< TUPLE: a tuple of the values above the last mark
  empty_tuple = ')',      ///< EMPTY_TUPLE: ()
  setitems = 'u',         ///< SETITEMS: store the key/value pairs above the last mark
  binfloat = 'G',         ///< BINFLOAT: a big-endian 8-byte float
  // protocol 2
  proto = 0x80,     ///< PROTO: the protocol version (1 byte)
  newobj = 0x81,    ///< NEWOBJ: cls.__new__(cls, *args)
  ext1 = 0x82,      ///< EXT1: a global from the extension registry, 1-byte code
  ext2 = 0x83,      ///< EXT2: the same, 2-byte code
  ext4 = 0x84,      ///< EXT4: the same, 4-byte code
  tuple1 = 0x85,    ///< TUPLE1: a tuple of the top value
  tuple2 = 0x86,    ///< TUPLE2: a tuple of the top two values
  tuple3 = 0x87,    ///< TUPLE3: a tuple of the top three values
  newtrue = 0x88,   ///< NEWTRUE: True
  newfalse = 0x89,  ///< NEWFALSE: False
  long1 = 0x8a,     ///< LONG1: a little-endian two's-complement int, 1-byte length
  long4 = 0x8b,     ///< LONG4: the same, 4-byte length
  // protocol 3
  binbytes = 'B',        ///< BINBYTES: bytes with a 4-byte length
  short_binbytes = 'C',  ///< SHORT_BINBYTES: bytes with a 1-byte length
  // protocol 4
  short_binunicode = 0x8c,  ///< SHORT_BINUNICODE: UTF-8 with a 1-byte length
  binunicode8 = 0x8d,       ///< BINUNICODE8: UTF-8 with an 8-byte length
  binbytes8 = 0x8e,         ///< BINBYTES8: bytes with an 8-byte length
  empty_set = 0x8f,         ///< EMPTY_SET: set()
  additems = 0x90,          ///< ADDITEMS: add the values above the last mark to the set below it
  frozenset = 0x91,         ///< FROZENSET: a frozenset of the values above the last mark
  newobj_ex = 0x92,         ///< NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
  stack_global = 0x93,      ///< STACK_GLOBAL: a global from module and name strings on the stack
  memoize = 0x94,           ///< MEMOIZE: memo store under the next free key
  frame = 0x95,             ///< FRAME: an 8-byte length of the frame that follows
  // protocol 5
  bytearray8 = 0x96,       ///< BYTEARRAY8: a bytearray with an 8-byte length
  next_buffer = 0x97,      ///< NEXT_BUFFER: an out-of-band buffer
  readonly_buffer = 0x98,  ///< READONLY_BUFFER: make the top buffer read-only
};

/// One row of the opcode table: an opcode and its pickletools name.
struct pickle_op_info {
  pickle_op op;      ///< the opcode
  const char* name;  ///< its name ("BINPUT")
};

/// Every pickle opcode of protocols 0–5 with its name.
inline constexpr pickle_op_info pickle_ops[] = {
    {pickle_op::mark, "MARK"},
    {pickle_op::stop, "STOP"},
    {pickle_op::pop, "POP"},
    {pickle_op::pop_mark, "POP_MARK"},
    {pickle_op::dup, "DUP"},
    {pickle_op::float_, "FLOAT"},
    {pickle_op::int_, "INT"},
    {pickle_op::binint, "BININT"},
    {pickle_op::binint1, "BININT1"},
    {pickle_op::long_, "LONG"},
    {pickle_op::binint2, "BININT2"},
    {pickle_op::none, "NONE"},
    {pickle_op::persid, "PERSID"},
    {pickle_op::binpersid, "BINPERSID"},
    {pickle_op::reduce, "REDUCE"},
    {pickle_op::string, "STRING"},
    {pickle_op::binstring, "BINSTRING"},
    {pickle_op::short_binstring, "SHORT_BINSTRING"},
    {pickle_op::unicode, "UNICODE"},
    {pickle_op::binunicode, "BINUNICODE"},
    {pickle_op::append, "APPEND"},
    {pickle_op::build, "BUILD"},
    {pickle_op::global, "GLOBAL"},
    {pickle_op::dict, "DICT"},
    {pickle_op::empty_dict, "EMPTY_DICT"},
    {pickle_op::appends, "APPENDS"},
    {pickle_op::get, "GET"},
    {pickle_op::binget, "BINGET"},
    {pickle_op::inst, "INST"},
    {pickle_op::long_binget, "LONG_BINGET"},
    {pickle_op::list, "LIST"},
    {pickle_op::empty_list, "EMPTY_LIST"},
    {pickle_op::obj, "OBJ"},
    {pickle_op::put, "PUT"},
    {pickle_op::binput, "BINPUT"},
    {pickle_op::long_binput, "LONG_BINPUT"},
    {pickle_op::setitem, "SETITEM"},
    {pickle_op::tuple, "TUPLE"},
    {pickle_op::empty_tuple, "EMPTY_TUPLE"},
    {pickle_op::setitems, "SETITEMS"},
    {pickle_op::binfloat, "BINFLOAT"},
    {pickle_op::proto, "PROTO"},
    {pickle_op::newobj, "NEWOBJ"},
    {pickle_op::ext1, "EXT1"},
    {pickle_op::ext2, "EXT2"},
    {pickle_op::ext4, "EXT4"},
    {pickle_op::tuple1, "TUPLE1"},
    {pickle_op::tuple2, "TUPLE2"},
    {pickle_op::tuple3, "TUPLE3"},
    {pickle_op::newtrue, "NEWTRUE"},
    {pickle_op::newfalse, "NEWFALSE"},
    {pickle_op::long1, "LONG1"},
    {pickle_op::long4, "LONG4"},
    {pickle_op::binbytes, "BINBYTES"},
    {pickle_op::short_binbytes, "SHORT_BINBYTES"},
    {pickle_op::short_binunicode, "SHORT_BINUNICODE"},
    {pickle_op::binunicode8, "BINUNICODE8"},
    {pickle_op::binbytes8, "BINBYTES8"},
    {pickle_op::empty_set, "EMPTY_SET"},
    {pickle_op::additems, "ADDITEMS"},
    {pickle_op::frozenset, "FROZENSET"},
    {pickle_op::newobj_ex, "NEWOBJ_EX"},
    {pickle_op::stack_global, "STACK_GLOBAL"},
    {pickle_op::memoize, "MEMOIZE"},
    {pickle_op::frame, "FRAME"},
    {pickle_op::bytearray8, "BYTEARRAY8"},
    {pickle_op::next_buffer, "NEXT_BUFFER"},
    {pickle_op::readonly_buffer, "READONLY_BUFFER"},
};

/// The pickletools name of an opcode ("BINPUT"), or nullptr for a byte that is no opcode.
constexpr const char* pickle_op_name(pickle_op op) noexcept {
  for (const auto& row : pickle_ops)
    if (row.op == op) return row.name;
  return nullptr;
}

/// The opcode as the byte that spells it in a pickle.
constexpr char pickle_op_char(pickle_op op) noexcept { return static_cast<char>(op); }

}  // namespace graft::io
