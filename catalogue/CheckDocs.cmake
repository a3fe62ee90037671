# Fails when docs/names.md is not what generate.py writes from the catalogue today.
execute_process(COMMAND ${PYTHON} ${GENERATOR} ${CATALOGUE} --markdown ${SCRATCH} RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "generate.py failed on ${CATALOGUE}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${SCRATCH} ${DOC} RESULT_VARIABLE differs)
if(differs)
  message(FATAL_ERROR "${DOC} is out of date with the catalogue: run `cmake --build <build> --target sipw_docs_names`")
endif()
