#pragma once
/// \file
/// Every torch-free graft header (link graft::core): errors, the rules DSL, rules, plans and
/// checkpoint I/O, applying plans to checkpoint records. Not included: graft/torch/* (see graft/graft.hpp) and
/// graft/testing.hpp (Catch2).

// errors and shared vocabulary
#include <graft/error.hpp>
#include <graft/source.hpp>
#include <graft/tensor_meta.hpp>
#include <graft/vocabulary.hpp>

// dsl: rules-file text → syntax tree
#include <graft/dsl/ast.hpp>
#include <graft/dsl/ast_adapted.hpp>
#include <graft/dsl/grammar.hpp>
#include <graft/dsl/parse.hpp>

// rules: patterns, joints, layouts, validated rulesets, `use` resolution
#include <graft/rules/joints.hpp>
#include <graft/rules/label_file.hpp>
#include <graft/rules/layout.hpp>
#include <graft/rules/load.hpp>
#include <graft/rules/name_template.hpp>
#include <graft/rules/pattern.hpp>
#include <graft/rules/ruleset.hpp>
#include <graft/rules/search_path.hpp>

// plan: rules × source shapes × destination shapes → plan, report, explanation, JSON
#include <graft/plan/explain.hpp>
#include <graft/plan/filters.hpp>
#include <graft/plan/fold.hpp>
#include <graft/plan/json.hpp>
#include <graft/plan/labels.hpp>
#include <graft/plan/plan.hpp>
#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>
#include <graft/plan/route.hpp>
#include <graft/plan/shape_steps.hpp>
#include <graft/plan/visit.hpp>

// apply: plans run on checkpoint records in host memory
#include <graft/apply/records.hpp>
#include <graft/apply/summary.hpp>

// io: checkpoint readers and writers giving torch-free tensor records
#include <graft/io/atomic_file.hpp>
#include <graft/io/byte_span.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/crc32.hpp>
#include <graft/io/file_sink.hpp>
#include <graft/io/format.hpp>
#include <graft/io/kernel_copy.hpp>
#include <graft/io/manifest.hpp>
#include <graft/io/manifest_writer.hpp>
#include <graft/io/mapped_file.hpp>
#include <graft/io/pickle.hpp>
#include <graft/io/pickle/emitter.hpp>
#include <graft/io/pickle/machine.hpp>
#include <graft/io/pickle/memo.hpp>
#include <graft/io/pickle/opcodes.hpp>
#include <graft/io/pickle/torch_globals.hpp>
#include <graft/io/pickle/value.hpp>
#include <graft/io/pth.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/io/record_writer.hpp>
#include <graft/io/safetensors.hpp>
#include <graft/io/shapes.hpp>
#include <graft/io/sharded.hpp>
#include <graft/io/sharded_writer.hpp>
#include <graft/io/source_crc.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/io/torchscript.hpp>
#include <graft/io/zip.hpp>
