package dev.herd.recipes;

public final class HerdCli {
    public static void main(String[] args) {
        System.out.println("herd");
    }
}
