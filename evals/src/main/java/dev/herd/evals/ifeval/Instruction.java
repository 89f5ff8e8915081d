package dev.herd.evals.ifeval;

/** One verifiable instruction of an IFEval prompt with its arguments bound: does a response follow it? */
@FunctionalInterface
interface Instruction {

    boolean followedBy(String response);
}
