# Writes the man page pairsweep(1) from the program's own help texts, so the two cannot
# disagree:  cmake -DPS_BIN=build/pairsweep -DOUT=pairsweep.1 -P cmake/manpage.cmake
# NAME and SYNOPSIS, then `pairsweep --help` as DESCRIPTION, then one subsection per command
# listed there with its `pairsweep COMMAND --help`, verbatim (no-fill), then EXIT STATUS.

# text -> roff lines: backslashes escaped, "-" a minus sign (options copy as typed), and
# every line led by the zero-width \& (a line starting with . or ' would be a request).
function(ps_roff out text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REPLACE "×" "\\(mu" text "${text}") # the help texts' two non-ASCII signs, for a
  string(REPLACE "±" "\\(+-" text "${text}") # groff without preconv (man(1) runs it anyway)
  string(REGEX REPLACE "\n$" "" text "${text}")
  string(REPLACE "\n" "\n\\&" text "\\&${text}")
  set(${out} "${text}\n" PARENT_SCOPE)
endfunction()

function(ps_help out)
  execute_process(COMMAND ${PS_BIN} ${ARGN} --help OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${PS_BIN} ${ARGN} --help: exit status ${rc}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${PS_BIN} --version OUTPUT_VARIABLE version
                OUTPUT_STRIP_TRAILING_WHITESPACE)
ps_help(main)
# the commands: the lines "  NAME  summary" after "commands:" in the main help
string(REGEX MATCH "commands:\n(  [a-z]+ [^\n]*\n)+" block "${main}")
string(REGEX MATCHALL "\n  [a-z]+" names "${block}")
ps_roff(main "${main}")

set(page ".TH PAIRSWEEP 1 \"\" \"${version}\" \"User Commands\"
.SH NAME
pairsweep \\- studies of small neural networks on MNIST digit pairs, as MPI sweeps
.SH SYNOPSIS
.B pairsweep
.I COMMAND
[\\fIoptions\\fR]
.br
.B mpirun -np
.I N
.B pairsweep run
.I JOB.yaml
.SH DESCRIPTION
.nf
${main}.fi
.SH COMMANDS
")
foreach(name ${names})
  string(STRIP "${name}" name)
  ps_help(text ${name})
  ps_roff(text "${text}")
  string(APPEND page ".SS pairsweep ${name}\n.nf\n${text}.fi\n")
endforeach()
string(APPEND page ".SH EXIT STATUS
0 success, 1 failure, 2 bad usage or bad input (one line on standard error naming the file),
3 a study stopped early (run the same command again to resume).
.SH SEE ALSO
.BR mpirun (1),
.BR sbatch (1),
.BR h5dump (1);
the documentation in share/doc/pairsweep and the SLURM scripts in share/pairsweep/slurm of
the installation.
")
file(WRITE "${OUT}" "${page}")
