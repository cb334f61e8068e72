# graft_warnings_everywhere(DIR): links the private graft_warnings target into every compiled target
# (executables and non-interface libraries) defined in DIR and its subdirectories, so that no project
# target — the Catch2 main, a new tool, an example — builds without -Wall -Wextra -Wpedantic (and -Werror
# under GRAFT_WERROR). Imported targets and graft's own INTERFACE targets are left alone: consumers never
# see these flags.
function(graft_warnings_everywhere dir)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    if(NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY)$")
      continue()
    endif()
    get_target_property(libs ${t} LINK_LIBRARIES)
    if(NOT "graft_warnings" IN_LIST libs)
      target_link_libraries(${t} PRIVATE graft_warnings)
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    graft_warnings_everywhere(${sub})
  endforeach()
endfunction()
