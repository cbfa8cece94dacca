%% The process benchmarks of bench/procs/*.sx in Erlang/OTP, same shapes:
%%   escript procs.erl pingpong|ring|spawn
%% (each prints its result, then `ms` and the elapsed milliseconds).
-module(procs).
-export([main/1]).
-mode(compile).

main(["pingpong"]) -> timed(fun() -> pingpong(200000) end);
main(["ring"]) -> timed(fun() -> ring(1000, 1000) end);
main(["spawn"]) -> timed(fun() -> spawns(100000) end).

%% Prints the result, then `ms` and the elapsed milliseconds (VM start-up excluded).
timed(F) ->
    {Us, R} = timer:tc(F),
    io:format("~p~nms ~.1f~n", [R, Us / 1000]).

%% Ping-pong: N round trips.
pingpong(N) ->
    P = spawn(fun ponger/0),
    ping(P, N), N.
ponger() ->
    receive
        {_, 0} -> ok;
        {From, I} -> From ! I, ponger()
    end.
ping(P, 0) -> P ! {self(), 0};
ping(P, I) -> P ! {self(), I}, receive _ -> ok end, ping(P, I - 1).

%% Ring of Size processes, the token around it Laps times.
ring(Size, Laps) ->
    First = build(Size - 1, self()),
    go(First, Laps - 1), Laps.
build(0, Next) -> Next;
build(K, Next) -> build(K - 1, spawn(fun() -> relay(Next) end)).
relay(Next) ->
    receive M -> Next ! M, if M > 0 -> relay(Next); true -> ok end end.
go(First, Lap) ->
    First ! Lap,
    receive 0 -> ok; M -> go(First, M - 1) end.

%% N spawns, each sending one message back.
spawns(N) ->
    Me = self(),
    [spawn(fun() -> Me ! 1 end) || _ <- lists:seq(1, N)],
    collect(N, 0).
collect(0, Acc) -> Acc;
collect(I, Acc) -> receive X -> collect(I - 1, Acc + X) end.
