#pragma once
/// \file
/// Pickles as torch.save writes them (protocols 2–5): the restricted unpickler and the emitter.
/// The unpickler builds a small value tree and never executes anything: globals are checked against
/// one table of torch tensor and container globals (detail::torch_globals); any other global is
/// refused with a checkpoint_error naming it. Every declared length is checked against the
/// remaining bytes before anything is allocated. The parts:
///   - pickle/value.hpp          the value model (pickle_kind, pickle_value, pickle_document)
///   - pickle/opcodes.hpp        the named opcodes (pickle_op) and their names
///   - pickle/torch_globals.hpp  the allowed globals, what each builds, torch's persistent ids
///   - pickle/machine.hpp        the machine (unpickler, unpickle_options, unpickle())
///   - pickle/emitter.hpp        writing pickles (detail::pickle_emitter)

#include <graft/io/pickle/emitter.hpp>
#include <graft/io/pickle/machine.hpp>
#include <graft/io/pickle/opcodes.hpp>
#include <graft/io/pickle/torch_globals.hpp>
#include <graft/io/pickle/value.hpp>
