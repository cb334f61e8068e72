#pragma once
/// \file
/// Boost.Fusion adaptation of the syntax tree, so X3 can fill it.

#include <graft/dsl/ast.hpp>

#include <boost/fusion/include/adapt_struct.hpp>

BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::ident, offset, text)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::string_lit, offset, text)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::use_stmt, offset, path)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::label_set_stmt, offset, kind, name, members)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::label_file_stmt, offset, kind, name, path)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::joint_source, mean, joints)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::map_entry, target, source)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::map_fill, offset, kind, labels)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::map_stmt, offset, from, to, entries)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::strip_stmt, offset, prefix)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::rename_stmt, offset, pattern, replacement)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::filter_stmt, offset, kind, patterns)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::keep_segment, offset, count)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::count_segment, offset, kind, count)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::joint_segment, offset, from, to)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::grouped_segment, offset, from, to, repeat)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::blocked_segment, offset, repeat, from, to)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::dim_op, offset, dim, segments)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::shape_op, offset, kind, args)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::reshape_stmt, offset, pattern, ops)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::expect_stmt, offset, expected, patterns)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::expect_labels_stmt, offset, patterns, dim_offset, dim, from, to, entries)
BOOST_FUSION_ADAPT_STRUCT(graft::dsl::ast::mode_stmt, offset, mode)
